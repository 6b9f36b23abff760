/* gen_corpus.c - writes the seed corpus for fuzz_decode (run once by hand; see
 * docs/values.md). Not built by CMake: cc fuzz/gen_corpus.c -Iinclude build/libremotes.a -lmsgpackc -lm */
#include <stdio.h>
#include <string.h>

#include "remotes.h"

static void put(const char *dir, const char *name, const void *data, size_t len) {
  char path[512];
  snprintf(path, sizeof path, "%s/%s", dir, name);
  FILE *f = fopen(path, "wb");
  if (!f) {
    perror(path);
    return;
  }
  fwrite(data, 1, len, f);
  fclose(f);
}

static void enc(const char *dir, const char *name, const rmt_value *args, size_t n) {
  rmt_buf b = {0};
  if (rmt_encode(&b, args, n, NULL, NULL) == 0) put(dir, name, b.data, b.len);
  rmt_buf_free(&b);
}

int main(int argc, char **argv) {
  const char *dir = argc > 1 ? argv[1] : "fuzz/corpus/decode";
  static const float pos[3] = {10, 20, 30}, rot[9] = {0, 0, 1, 0, 1, 0, -1, 0, 0};
  rmt_value scalars[8] = {rmt_nil(), rmt_bool(1), rmt_num(42), rmt_num(-70000), rmt_num(0.1),
                          rmt_num(-0.0), rmt_num(1e300), rmt_str("hello")};
  enc(dir, "scalars", scalars, 8);
  rmt_value roblox[5] = {rmt_vector3(1, 2, 3), rmt_cframe(1, 2, 3), rmt_cframe_full(pos, rot),
                         rmt_color3(1, 0.5f, 0), rmt_player_ref(123456)};
  enc(dir, "roblox_types", roblox, 5);
  rmt_value items[3] = {rmt_num(1), rmt_str("two"), rmt_vector3(3, 3, 3)};
  rmt_pair inner[2] = {{rmt_str("x"), rmt_num(1)}, {rmt_str("y"), rmt_bool(0)}};
  rmt_pair pairs[3] = {{rmt_str("items"), rmt_array(items, 3)},
                       {rmt_str("inner"), rmt_dict(inner, 2)},
                       {rmt_str(""), rmt_array(NULL, 0)}};
  rmt_value nested[2] = {rmt_dict(pairs, 3), rmt_str("tail")};
  enc(dir, "nested", nested, 2);
  enc(dir, "empty_list", NULL, 0);
  static char big[300];
  memset(big, 'a', sizeof big);
  rmt_value strs[2] = {rmt_lstr(big, 40), rmt_lstr(big, 300)};
  enc(dir, "str8_str16", strs, 2);
  static rmt_value many[20];
  for (int i = 0; i < 20; i++) many[i] = rmt_num(i * 1000);
  rmt_value arr16 = rmt_array(many, 20);
  enc(dir, "array16", &arr16, 1);
  rmt_value chain[10];
  chain[9] = rmt_array(NULL, 0);
  for (int i = 9; i > 0; i--) chain[i - 1] = rmt_array(&chain[i], 1);
  enc(dir, "deep10", chain, 1);
  /* Roblox datatypes and EnumItems (ext 5 and 6), alone and inside a table */
  rmt_value kps[3] = {rmt_datatype(RMT_DT_NUMBERSEQUENCEKEYPOINT, (const double[]){0, 1, 0}, 3),
                      rmt_datatype(RMT_DT_NUMBERSEQUENCEKEYPOINT, (const double[]){0.5, 2, 0.1}, 3),
                      rmt_datatype(RMT_DT_NUMBERSEQUENCEKEYPOINT, (const double[]){1, 0, 0}, 3)};
  rmt_value ckps[2] = {rmt_datatype(RMT_DT_COLORSEQUENCEKEYPOINT, (const double[]){0, 1, 0, 0}, 4),
                       rmt_datatype(RMT_DT_COLORSEQUENCEKEYPOINT, (const double[]){1, 0, 0, 1}, 4)};
  rmt_value ray[2] = {rmt_vector3(1, 2, 3), rmt_vector3(0, -1, 0)};
  rmt_value tween[6] = {rmt_num(1.5), rmt_enum_item("EasingStyle", 1),
                        rmt_enum_item("EasingDirection", 2), rmt_num(-1), rmt_bool(1), rmt_num(0)};
  rmt_value dts[14] = {rmt_vector2(1.5, -2), rmt_datatype(RMT_DT_UDIM, (const double[]){0.5, 10}, 2),
                       rmt_udim2(0.1, 20, 0.3, -40),
                       rmt_datatype(RMT_DT_RECT, (const double[]){1, 2, 3, 4}, 4),
                       rmt_datatype(RMT_DT_NUMBERRANGE, (const double[]){-1, 5}, 2),
                       kps[1], ckps[1], rmt_datatype(RMT_DT_BRICKCOLOR, (const double[]){194}, 1),
                       rmt_datatype(RMT_DT_DATETIME, (const double[]){1700000000123.0}, 1),
                       rmt_datatype_list(RMT_DT_NUMBERSEQUENCE, kps, 3),
                       rmt_datatype_list(RMT_DT_COLORSEQUENCE, ckps, 2),
                       rmt_datatype_list(RMT_DT_RAY, ray, 2),
                       rmt_datatype_list(RMT_DT_TWEENINFO, tween, 6),
                       rmt_enum_item("Material", 256)};
  enc(dir, "datatypes", dts, 14);
  rmt_pair dtpair = {rmt_str("fx"), dts[9]};
  rmt_value dtnest[2] = {rmt_dict(&dtpair, 1), rmt_array(dts + 12, 2)};
  enc(dir, "datatypes_nested", dtnest, 2);
  const unsigned char badseq[] = {0x91, 0xc7, 0x07, 0x05, 0x0a, 0x01, 0x01, 0x00, 0x00, 0x01, 0x00};
  put(dir, "datatype_unsorted_sequence", badseq, sizeof badseq);
  const unsigned char badenum[] = {0x91, 0xc7, 0x03, 0x06, 0x01, 'A', ' '};
  put(dir, "enum_bad_name", badenum, sizeof badenum);
  /* hostile seeds */
  const unsigned char huge[] = {0xdd, 0xff, 0xff, 0xff, 0xff, 0xc0};
  put(dir, "huge_count", huge, sizeof huge);
  const unsigned char badext[] = {0x91, 0xd6, 0x09, 0, 0, 0, 0};
  put(dir, "unknown_ext", badext, sizeof badext);
  const unsigned char intkey[] = {0x91, 0x81, 0x01, 0x02};
  put(dir, "int_key", intkey, sizeof intkey);
  const unsigned char noncanon[] = {0x93, 0xd1, 0x00, 0x01, 0xd9, 0x01, 'a', 0xde, 0x00, 0x01, 0xa1, 'k', 0xca, 0x3f, 0x80, 0, 0};
  put(dir, "noncanonical", noncanon, sizeof noncanon);
  return 0;
}
