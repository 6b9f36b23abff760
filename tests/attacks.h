/* attacks.h - the hand-made hostile messages a raw peer sends, written once for both places
 * that send them: tests/test_hostile.c (in one process, against the C server, checking the
 * server's drop counters) and tests/tools/attacker.c (from separate processes, against
 * `remotes serve`, checking only what the attacker can see). Each function only sends; what
 * must follow is the caller's to check. Header-only, over raw_peer.h. */
#ifndef RMT_TEST_ATTACKS_H
#define RMT_TEST_ATTACKS_H

#include <string.h>

#include "raw_peer.h"

/* Every prefix of a valid INVOKE (on `function`) and EVENT (on `event`), a body length
 * claiming 2^32 bytes, and valid framing around an undecodable payload (msgpack 0xc1 is never
 * used): the last one is answered with a bad-arguments ERROR, the rest dropped as malformed. */
static inline void attack_truncated(bot *b, uint32_t function, uint32_t event) {
  rmt_buf msg = {0}, body = {0};
  rmt_value args[3] = {rmt_str("truncate me"), rmt_num(1), rmt_vector3(1, 2, 3)};
  rmt_encode(&body, args, 3, NULL, NULL);
  put_msg(&msg, RMT_MSG_INVOKE, function, 77, body.data, body.len);
  for (size_t cut = 1; cut < msg.len; cut++) bot_send(b, 0, msg.data, cut);
  msg.len = 0;
  put_msg(&msg, RMT_MSG_EVENT, event, 0, body.data, body.len);
  for (size_t cut = 1; cut < msg.len; cut++) bot_send(b, 0, msg.data, cut);
  uint8_t liar[] = {(uint8_t)(event << 3), 0x80, 0x80, 0x80, 0x80, 0x10, 0x91, 0x01};
  bot_send(b, 0, liar, sizeof liar);
  uint8_t never[] = {0x91, 0xc1};
  msg.len = 0;
  put_msg(&msg, RMT_MSG_INVOKE, function, 78, never, sizeof never);
  bot_send_buf(b, 0, &msg);
  rmt_buf_free(&msg);
  rmt_buf_free(&body);
}

/* An invoke whose one string argument is `string_len` bytes and an event of `event_len`
 * bytes, both built without limits (the receiver's limits are what is tested). */
static inline void attack_oversized(bot *b, uint32_t function, uint32_t event, size_t string_len,
                                    size_t event_len) {
  static char big[5 << 20];
  memset(big, 'x', sizeof big);
  if (string_len > sizeof big) string_len = sizeof big;
  if (event_len > sizeof big) event_len = sizeof big;
  rmt_limits unlimited = {1000, 1u << 30, 1u << 30, 1u << 30, 0};
  rmt_buf msg = {0}, body = {0};
  rmt_value arg = rmt_lstr(big, string_len);
  rmt_encode(&body, &arg, 1, &unlimited, NULL);
  put_msg(&msg, RMT_MSG_INVOKE, function, 79, body.data, body.len);
  bot_send_buf(b, 0, &msg);
  arg = rmt_lstr(big, event_len);
  body.len = 0;
  rmt_encode(&body, &arg, 1, &unlimited, NULL);
  msg.len = 0;
  put_msg(&msg, RMT_MSG_EVENT, event, 0, body.data, body.len);
  bot_send_buf(b, 0, &msg);
  rmt_buf_free(&msg);
  rmt_buf_free(&body);
}

/* Unknown remote ids (5 events, 5 invokes: 5 not-found answers), an event on the function,
 * an invoke on the event (an invalid answer), an event on the unreliable channel, every
 * server-to-client control (claiming to be `player`), 50 RESULT/ERROR pairs for calls never
 * made, and a second HELLO. */
static inline void attack_confused(bot *b, uint32_t function, uint32_t event, uint32_t player) {
  rmt_buf msg = {0}, body = {0};
  uint8_t empty_args[] = {0x90};
  uint32_t ids[] = {0, 999, 65535, 0x1fffffff, UINT32_MAX >> 3};
  for (size_t i = 0; i < sizeof ids / sizeof ids[0]; i++) {
    msg.len = 0;
    put_msg(&msg, RMT_MSG_EVENT, ids[i], 0, empty_args, 1);
    put_msg(&msg, RMT_MSG_INVOKE, ids[i], 100 + (uint32_t)i, empty_args, 1);
    bot_send_buf(b, 0, &msg);
  }
  msg.len = 0;
  put_msg(&msg, RMT_MSG_EVENT, function, 0, empty_args, 1);
  put_msg(&msg, RMT_MSG_INVOKE, event, 200, empty_args, 1);
  bot_send_buf(b, 0, &msg);
  msg.len = 0;
  put_msg(&msg, RMT_MSG_EVENT, event, 0, empty_args, 1);
  bot_send_buf(b, 1, &msg);
  rmt_control kinds[] = {RMT_CTL_WELCOME, RMT_CTL_REFUSE, RMT_CTL_REMOTE_ADDED,
                         RMT_CTL_REMOTE_REMOVED, RMT_CTL_PLAYER_ADDED, RMT_CTL_PLAYER_REMOVED,
                         RMT_CTL_KICK, 31};
  for (size_t i = 0; i < sizeof kinds / sizeof kinds[0]; i++) {
    body.len = 0;
    rmt__put_varint(&body, 1);
    rmt__put_varint(&body, player);
    rmt__put_lstr(&body, "Good", 4);
    msg.len = 0;
    rmt__msg_put(&msg, RMT_MSG_CONTROL, kinds[i], NULL, 0, body.data, body.len);
    bot_send_buf(b, 0, &msg);
  }
  for (uint32_t call = 0; call < 50; call++) {
    msg.len = 0;
    put_msg(&msg, RMT_MSG_RESULT, function, call, empty_args, 1);
    uint32_t fields[2] = {call, 11};
    rmt__msg_put(&msg, RMT_MSG_ERROR, function, fields, 2, (const uint8_t *)"no", 2);
    bot_send_buf(b, 0, &msg);
  }
  msg.len = 0;
  put_hello(&msg, "Again");
  bot_send_buf(b, 0, &msg);
  rmt_buf_free(&body);
  rmt_buf_free(&msg);
}

/* 60,000 nested arrays (under the default max_bytes, so the decoder itself meets them) as an
 * event and as an invoke, each in its own packet. */
static inline void attack_deep(bot *b, uint32_t function, uint32_t event) {
  static uint8_t deep[60001];
  memset(deep, 0x91, sizeof deep - 1);
  deep[sizeof deep - 1] = 0xc0;
  rmt_buf msg = {0};
  put_msg(&msg, RMT_MSG_EVENT, event, 0, deep, sizeof deep);
  bot_send_buf(b, 0, &msg);
  msg.len = 0;
  put_msg(&msg, RMT_MSG_INVOKE, function, 300, deep, sizeof deep);
  bot_send_buf(b, 0, &msg);
  rmt_buf_free(&msg);
}

#endif /* RMT_TEST_ATTACKS_H */
