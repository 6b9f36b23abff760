/* A program outside the project, built only from what pkg-config or find_package hands it:
 * it must compile against the header, link, load the library and find it the same version. */
#include <remotes.h>
#include <stdio.h>

int main(void) {
  /* Before 1.0 the minor is the ABI (docs/abi.md): a differing major or minor is a mismatch. */
  if (rmt_version() / 100 != RMT_VERSION / 100) {
    fprintf(stderr, "header %s but library %s\n", RMT_VERSION_STRING, rmt_version_string());
    return 1;
  }
  rmt_value args[2] = {rmt_str("jump"), rmt_num(150)};
  rmt_buf buf = {0};
  if (rmt_encode(&buf, args, 2, NULL, NULL) != RMT_OK) return 1;
  printf("remotes %s: encoded %zu bytes\n", rmt_version_string(), buf.len);
  rmt_buf_free(&buf);
  return 0;
}
