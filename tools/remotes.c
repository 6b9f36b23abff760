/*
 * remotes.c - the `remotes` command: serve, join and play Roblox-style Lua places over the
 * engine. It manages arguments, processes and output prefixes; it never holds game logic.
 */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <math.h>
#include <poll.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <sodium.h>

#include "lua/host_api.h"
#include "remotes_ticket.h"

#define PROG "remotes"
#define MAX_PLACES 64
#define MAX_CLIENTS 64

static volatile sig_atomic_t g_stop = 0;
static rmt_host *volatile g_host = NULL; /* this process's host, for the signal handlers */

/* SIGINT/SIGTERM: stop the loop, and make a script that is spinning stop too (its next
 * interrupt check raises). A script stuck where no check runs (inside one C call such as a
 * pathological string.gsub) cannot be stopped that way: if the process is still inside Lua a
 * second later, SIGALRM ends it. Handlers only set flags or _exit. */
static void on_signal(int sig) {
  (void)sig;
  g_stop = 1;
  if (g_host) {
    rmt_host_interrupt(g_host);
    alarm(1);
  }
}

static void on_alarm(int sig) {
  static const char msg[] = PROG ": a script did not stop within a second of the signal; exiting\n";
  (void)sig;
  if (g_host && rmt_host_in_lua(g_host)) {
    if (write(2, msg, sizeof msg - 1) < 0) { /* nothing more to do */
    }
    _exit(1);
  }
}

/* Every host of this process is destroyed here, so the signal handlers never see a freed one. */
static void host_done(rmt_host *host) {
  g_host = NULL;
  rmt_host_destroy(host);
}

static void install_signals(void) {
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = on_signal;
  sigemptyset(&sa.sa_mask);
  sigaction(SIGINT, &sa, NULL);
  sigaction(SIGTERM, &sa, NULL);
  sa.sa_handler = on_alarm;
  sigaction(SIGALRM, &sa, NULL);
  signal(SIGPIPE, SIG_IGN);
}

/* The commands, as bits so an option can name the ones that take it. */
enum {
  CMD_SERVE = 1 << 0,
  CMD_JOIN = 1 << 1,
  CMD_PLAY = 1 << 2,
  CMD_TICKET = 1 << 3,
  CMD_KEYGEN = 1 << 4
};
#define CMD_ALL (CMD_SERVE | CMD_JOIN | CMD_PLAY | CMD_TICKET | CMD_KEYGEN)
#define CMD_RUN (CMD_SERVE | CMD_JOIN | CMD_PLAY) /* the commands that run places */

typedef struct command_spec {
  const char *name;
  unsigned bit;
  const char *help; /* lines after the synopsis; the synopsis comes from the option table */
} command_spec;

static const command_spec COMMANDS[] = {
    {"serve", CMD_SERVE,
     "run the server side: Scripts in ServerScriptService, ReplicatedStorage,\n"
     "ServerStorage"},
    {"join", CMD_JOIN,
     "run one client: LocalScripts in StarterPlayerScripts; remotes as the server\n"
     "replicates them. Leaves when idle (--idle 0: never)"},
    {"play", CMD_PLAY,
     "one server and N clients (Player1..PlayerN) over loopback, like Studio's\n"
     "\"start server with N players\"; output lines are prefixed [Server]/[PlayerN]"},
    {"ticket", CMD_TICKET, "print a signed join ticket for a server started with --key K"},
    {"keygen", CMD_KEYGEN, "print a fresh random ticket key (64 hex digits)"},
};
#define NCOMMANDS (sizeof COMMANDS / sizeof COMMANDS[0])

typedef struct options {
  unsigned cmd; /* CMD_* */
  const char *command;
  const char *places[MAX_PLACES];
  int nplaces;
  int port; /* -1 = default */
  const char *bind;
  const char *host;
  const char *name;
  int clients;
  double duration; /* 0 = none */
  double idle;     /* client idle seconds; 0 = never leave when idle */
  int expect;      /* server: stop once this many joined and all left (play) */
  int ready_fd;    /* server: write the port here once scripts started (play) */
  int verbose;
  const char *key;    /* --key: 64 hex digits or a file holding them */
  const char *ticket; /* --ticket: a ticket's text (join) */
  double user;        /* --user (ticket) */
  double ttl;         /* --ticket lifetime (default 3600) */
  int ticket_uses;    /* --ticket-uses (serve/play; default 1) */
  int max_per_address; /* --max-per-address (serve/play); -1 = the library's default */
  uint8_t keybytes[RMT_TICKET_KEY_BYTES];
  int has_key;
  double script_timeout; /* --script-timeout (0 = never; default RMT_HOST_SCRIPT_TIMEOUT) */
  double memory_limit;   /* --memory-limit in bytes (0 = the side's default) */
  unsigned long given;   /* bit i: OPTIONS[i] was on the command line */
} options;

struct option_spec;
/* Stores `val` (NULL for a flag) into o at spec->field; 0, or the exit status of a usage
 * error it has reported. */
typedef int (*option_parse_fn)(const struct option_spec *spec, const char *val, options *o);

/* One row per option: everything the parser, the usage text and the misuse errors need, so
 * that no option name is spelled twice in this file (docs/cli.md's table agrees with it:
 * tests/cli_options.py checks). */
typedef struct option_spec {
  const char *name;      /* "--port" */
  const char *value;     /* what the value is called in the help; NULL = a flag */
  unsigned commands;     /* CMD_* bits of the commands that take it */
  unsigned required;     /* CMD_* bits of the commands that cannot do without it */
  option_parse_fn parse;
  size_t field;          /* offsetof the target in options */
  double min, max;       /* numbers: the range accepted */
  const char *whole;     /* numbers: NULL, or how a whole value is named in the error */
  const char *misuse;    /* said after "X is for ..." to a command that does not take it */
  const char *help;      /* NULL = not listed (internal: play drives its server with them) */
} option_spec;

static int usage_error(const char *fmt, const char *arg) {
  fprintf(stderr, PROG ": ");
  fprintf(stderr, fmt, arg);
  fprintf(stderr, "\nTry '" PROG " --help' for more information.\n");
  return 2;
}

static int parse_number(const char *opt, const char *s, double min, double max, double *out) {
  char *end;
  double v;
  errno = 0;
  v = strtod(s, &end);
  if (errno != 0 || end == s || *end != 0 || !(v >= min) || !(v <= max)) {
    fprintf(stderr, PROG ": %s expects a number between %g and %g, got '%s'\n", opt, min, max, s);
    return -1;
  }
  *out = v;
  return 0;
}

#define FIELD(o, spec, type) ((type *)(void *)((char *)(o) + (spec)->field))

static int opt_string(const option_spec *spec, const char *val, options *o) {
  *FIELD(o, spec, const char *) = val;
  return 0;
}

static int opt_flag(const option_spec *spec, const char *val, options *o) {
  (void)val;
  *FIELD(o, spec, int) = 1;
  return 0;
}

/* A number in [min, max]; whole when spec->whole says how the error names a whole value. */
static int opt_double(const option_spec *spec, const char *val, double *out) {
  char fmt[96];
  if (parse_number(spec->name, val, spec->min, spec->max, out) != 0) return 2;
  if (spec->whole && *out != floor(*out)) {
    snprintf(fmt, sizeof fmt, "%s expects %s, got '%%s'", spec->name, spec->whole);
    return usage_error(fmt, val);
  }
  return 0;
}

static int opt_number(const option_spec *spec, const char *val, options *o) {
  return opt_double(spec, val, FIELD(o, spec, double));
}

static int opt_int(const option_spec *spec, const char *val, options *o) {
  double v;
  int rc = opt_double(spec, val, &v);
  if (rc == 0) *FIELD(o, spec, int) = (int)v;
  return rc;
}

/* --script-timeout 0 means never; the host reads 0 as "the default" and < 0 as never. */
static int opt_timeout(const option_spec *spec, const char *val, options *o) {
  int rc = opt_number(spec, val, o);
  if (rc == 0 && o->script_timeout == 0) o->script_timeout = -1;
  return rc;
}

/* SIZE: bytes, or a number with a K, M or G suffix (powers of 1024; a trailing B is fine),
 * between 1M and 1000T. */
static int opt_size(const option_spec *spec, const char *s, options *o) {
  char *end;
  double v = strtod(s, &end), unit = 1;
  if (end == s || !(v > 0)) return usage_error("--memory-limit expects a size such as 512M, got '%s'", s);
  if (*end == 'K' || *end == 'k') unit = 1024.0;
  else if (*end == 'M' || *end == 'm') unit = 1024.0 * 1024;
  else if (*end == 'G' || *end == 'g') unit = 1024.0 * 1024 * 1024;
  if (unit > 1) end++;
  if ((*end == 'B' || *end == 'b') && end[1] == 0) end++;
  if (*end != 0) return usage_error("--memory-limit: unknown size suffix in '%s' (use K, M or G)", s);
  v *= unit;
  if (v < 1024.0 * 1024 || v > 1e15) return usage_error("--memory-limit must be between 1M and 1000T, got '%s'", s);
  *FIELD(o, spec, double) = floor(v);
  return 0;
}

#define AT(f) offsetof(options, f)
#define WHOLE "a whole number"
static const option_spec OPTIONS[] = {
    /* name, value, commands, required by, parse, field, min, max, whole, misuse, help */
    {"--clients", "N", CMD_PLAY, 0, opt_int, AT(clients), 0, MAX_CLIENTS, WHOLE, NULL,
     "number of players (default 1)"},
    {"--port", "P", CMD_RUN, 0, opt_int, AT(port), 0, 65535, WHOLE, NULL,
     "UDP port (serve/join default 7777; play picks a free one)"},
    {"--bind", "ADDR", CMD_SERVE, 0, opt_string, AT(bind), 0, 0, NULL, NULL,
     "address the server binds (default 127.0.0.1)"},
    {"--host", "ADDR", CMD_JOIN, 0, opt_string, AT(host), 0, 0, NULL, NULL,
     "server address (default 127.0.0.1)"},
    {"--name", "NAME", CMD_JOIN | CMD_TICKET, CMD_TICKET, opt_string, AT(name), 0, 0, NULL, NULL,
     "player name (join: default Player1, or the ticket's)"},
    {"--duration", "S", CMD_RUN, 0, opt_number, AT(duration), 0.001, 1e7, NULL, NULL,
     "stop everything after S seconds"},
    {"--idle", "S", CMD_JOIN | CMD_PLAY, 0, opt_number, AT(idle), 0, 1e7, NULL, NULL,
     "a client leaves once its scripts are idle and nothing arrived for S\n"
     "seconds (default 1; 0: never)"},
    {"--script-timeout", "S", CMD_RUN, 0, opt_timeout, AT(script_timeout), 0, 1e7, NULL, NULL,
     "a script running S seconds without yielding gets 'Script timeout:\n"
     "exhausted allowed execution time' (default 10; 0: never)"},
    {"--memory-limit", "SIZE", CMD_RUN, 0, opt_size, AT(memory_limit), 0, 0, NULL, NULL,
     "cap on each Lua state (bytes or K/M/G; default 1G server, 512M\n"
     "client): past it the allocating script gets 'not enough memory'"},
    {"--key", "K", CMD_SERVE | CMD_PLAY | CMD_TICKET, CMD_TICKET, opt_string, AT(key), 0, 0, NULL,
     "; join takes --ticket",
     "ticket key: 64 hex digits, or a file holding them. serve/play: admit\n"
     "only players with a valid ticket (play mints one per player)"},
    {"--ticket-uses", "N", CMD_SERVE | CMD_PLAY, 0, opt_int, AT(ticket_uses), 0, 1e6, WHOLE, NULL,
     "joins allowed per ticket (default 1, 0 = unlimited until it expires)"},
    {"--max-per-address", "N", CMD_SERVE | CMD_PLAY, 0, opt_int, AT(max_per_address), 0, 1e6,
     WHOLE, NULL,
     "connections one IP address may hold (default 8, 0 = unlimited;\n"
     "play raises it to --clients)"},
    {"--ticket", "T", CMD_JOIN, 0, opt_string, AT(ticket), 0, 0, NULL,
     " (play mints tickets itself with --key)",
     "join with this ticket; the name comes from the ticket"},
    {"--user", "ID", CMD_TICKET, CMD_TICKET, opt_number, AT(user), 0, 9007199254740992.0, WHOLE,
     NULL, "user id for the ticket (0..2^53)"},
    {"--ttl", "S", CMD_TICKET | CMD_PLAY, 0, opt_number, AT(ttl), 1, 31536000, "whole seconds",
     NULL, "ticket lifetime in seconds (default 3600; play: with --key)"},
    {"--verbose", NULL, CMD_ALL, 0, opt_flag, AT(verbose), 0, 0, NULL, NULL,
     "also show the engine's informational log"},
    {"--expect", "N", CMD_SERVE, 0, opt_int, AT(expect), 0, 1e6, WHOLE, NULL, NULL},
    {"--ready-fd", "FD", CMD_SERVE, 0, opt_int, AT(ready_fd), 0, 1e6, WHOLE, NULL, NULL},
};
#define NOPTIONS (sizeof OPTIONS / sizeof OPTIONS[0])
_Static_assert(sizeof OPTIONS / sizeof OPTIONS[0] <= 32, "options.given has a bit per option");

static const option_spec *find_option(const char *name, size_t len) {
  size_t i;
  for (i = 0; i < NOPTIONS; i++)
    if (strlen(OPTIONS[i].name) == len && memcmp(OPTIONS[i].name, name, len) == 0)
      return &OPTIONS[i];
  return NULL;
}

static const command_spec *find_command(const char *name) {
  size_t i;
  for (i = 0; i < NCOMMANDS; i++)
    if (strcmp(COMMANDS[i].name, name) == 0) return &COMMANDS[i];
  return NULL;
}

/* "serve/join/play": the commands in `bits`, in the table's order. */
static void command_names(unsigned bits, const char *sep, char *out, size_t cap) {
  size_t i, n = 0;
  out[0] = 0;
  for (i = 0; i < NCOMMANDS; i++) {
    if (!(bits & COMMANDS[i].bit)) continue;
    n += (size_t)snprintf(out + n, n < cap ? cap - n : 0, "%s%s", n ? sep : "", COMMANDS[i].name);
    if (n >= cap) break;
  }
}

/* Prints text's lines, each after the first indented by `indent`. */
static void print_lines(FILE *f, const char *text, int indent) {
  const char *nl;
  while ((nl = strchr(text, '\n')) != NULL) {
    fprintf(f, "%.*s\n%*s", (int)(nl - text), text, indent, "");
    text = nl + 1;
  }
  fprintf(f, "%s\n", text);
}

#define HELP_WIDTH 78

static void usage(FILE *f) {
  size_t c, i;
  fprintf(f,
          "usage: " PROG " <command> PLACE... [options]\n"
          "\n"
          "Runs Roblox-style Lua places (Scripts, LocalScripts, ModuleScripts, remotes) as a\n"
          "server and clients over UDP.\n"
          "\n"
          "commands:\n");
  for (c = 0; c < NCOMMANDS; c++) {
    int col = fprintf(f, "  %s%s", COMMANDS[c].name, COMMANDS[c].bit & CMD_RUN ? " PLACE..." : "");
    for (i = 0; i < 2 * NOPTIONS; i++) { /* the required ones first */
      const option_spec *op = &OPTIONS[i % NOPTIONS];
      int req = (op->required & COMMANDS[c].bit) != 0;
      char word[64];
      int n;
      if (!op->help || !(op->commands & COMMANDS[c].bit) || op->commands == CMD_ALL ||
          req != (i < NOPTIONS))
        continue;
      n = snprintf(word, sizeof word, req ? " %s%s%s" : " [%s%s%s]", op->name,
                   op->value ? " " : "", op->value ? op->value : "");
      if (col + n > HELP_WIDTH) col = fprintf(f, "\n     ") - 1;
      col += fprintf(f, "%s", word);
    }
    fprintf(f, "\n      ");
    print_lines(f, COMMANDS[c].help, 6);
  }
  fprintf(f,
          "\n"
          "PLACE is a folder laid out like Rojo (service folders, *.server.lua, *.client.lua,\n"
          "*.lua, *.model.json, default.project.json) or a single script/model file, placed by\n"
          "its suffix.\n"
          "\n"
          "options (in parentheses: the commands that take it; --opt V and --opt=V alike):\n");
  for (i = 0; i < NOPTIONS; i++) {
    char cmds[64];
    if (!OPTIONS[i].help) continue;
    command_names(OPTIONS[i].commands, ", ", cmds, sizeof cmds);
    fprintf(f, "  %s%s%s  (%s)\n      ", OPTIONS[i].name, OPTIONS[i].value ? " " : "",
            OPTIONS[i].value ? OPTIONS[i].value : "",
            OPTIONS[i].commands == CMD_ALL ? "all commands" : cmds);
    print_lines(f, OPTIONS[i].help, 6);
  }
  fprintf(f,
          "  -h, --help\n      this help\n"
          "\n"
          "exit status: 0, or 1 if any script raised an uncaught error; 2 for usage errors.\n");
}

static int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

/* Exactly 64 hex digits (surrounding whitespace allowed) into 32 bytes. */
static int parse_hex_key(const char *s, size_t len, uint8_t *out) {
  size_t n = 0;
  while (len && (s[len - 1] == '\n' || s[len - 1] == '\r' || s[len - 1] == ' ' || s[len - 1] == '\t'))
    len--;
  while (len && (*s == ' ' || *s == '\t')) s++, len--;
  if (len != 2 * RMT_TICKET_KEY_BYTES) return -1;
  for (n = 0; n < RMT_TICKET_KEY_BYTES; n++) {
    int hi = hex_value(s[2 * n]), lo = hex_value(s[2 * n + 1]);
    if (hi < 0 || lo < 0) return -1;
    out[n] = (uint8_t)(hi * 16 + lo);
  }
  return 0;
}

/* --key K: K itself when it is 64 hex digits, else the path of a file holding them (so the
 * key need not appear in `ps` or shell history). */
static int load_key(const char *arg, uint8_t *out) {
  char buf[256];
  size_t n;
  FILE *f;
  if (parse_hex_key(arg, strlen(arg), out) == 0) return 0;
  f = fopen(arg, "rb");
  if (!f) {
    fprintf(stderr, PROG ": --key: '%s' is neither 64 hex digits nor a readable file: %s\n", arg,
            strerror(errno));
    return -1;
  }
  n = fread(buf, 1, sizeof buf, f);
  fclose(f);
  if (n >= sizeof buf || parse_hex_key(buf, n, out) != 0) {
    fprintf(stderr, PROG ": --key: %s must hold 64 hex digits (make one with '" PROG " keygen')\n",
            arg);
    return -1;
  }
  sodium_memzero(buf, sizeof buf);
  return 0;
}

static void default_options(options *o) {
  memset(o, 0, sizeof *o);
  o->port = -1;
  o->clients = 1;
  o->idle = 1.0;
  o->ready_fd = -1;
  o->bind = "127.0.0.1";
  o->host = "127.0.0.1";
  o->ttl = 3600;
  o->ticket_uses = 1;
  o->max_per_address = -1;
}

/* One argument starting with "--" (argv[*i]; its value may be the next one): looked up in
 * OPTIONS, checked against the command, parsed into o. 0, or the exit status. */
static int parse_option(int argc, char **argv, int *i, options *o) {
  const char *a = argv[*i], *eq = strchr(a, '='), *val = NULL;
  size_t n = eq ? (size_t)(eq - a) : strlen(a);
  const option_spec *spec = find_option(a, n);
  char cmds[64];
  if (!spec) return usage_error("unknown option '%s'", a);
  if (!(spec->commands & o->cmd)) {
    char fmt[192];
    command_names(spec->commands, "/", cmds, sizeof cmds);
    snprintf(fmt, sizeof fmt, "%s: %%s is for %s%s", o->command, cmds,
             spec->misuse ? spec->misuse : "");
    return usage_error(fmt, spec->name);
  }
  if (!spec->value) {
    if (eq) return usage_error("option '%s' takes no value", spec->name);
  } else if (eq) {
    val = eq + 1;
  } else {
    if (*i + 1 >= argc) return usage_error("option '%s' needs a value", spec->name);
    val = argv[++*i];
  }
  o->given |= 1ul << (spec - OPTIONS);
  return spec->parse(spec, val, o);
}

/* usage_error with the command's name first ("join: ..."). */
static int command_error(const options *o, const char *fmt, const char *arg) {
  char full[160];
  snprintf(full, sizeof full, "%s: %s", o->command, fmt);
  return usage_error(full, arg);
}

/* What no single option can check: combinations, and the places themselves. */
static int check_options(options *o) {
  int k;
  if (o->key) {
    if (load_key(o->key, o->keybytes) != 0) return 2;
    o->has_key = 1;
  }
  if ((o->cmd == CMD_KEYGEN || o->cmd == CMD_TICKET) && o->nplaces)
    return command_error(o, "unexpected argument '%s'", o->places[0]);
  for (k = 0; k < (int)NOPTIONS; k++)
    if ((OPTIONS[k].required & o->cmd) && !(o->given & (1ul << k)))
      return command_error(o, "%s is required", OPTIONS[k].name);
  if (o->cmd == CMD_KEYGEN || o->cmd == CMD_TICKET) return 0;
  if (o->ticket_uses != 1 && !o->key) return command_error(o, "%s needs --key", "--ticket-uses");
  if (o->nplaces == 0) return command_error(o, "no PLACE given%s", "");
  if (o->cmd == CMD_PLAY && o->clients == 0 && o->duration <= 0)
    return command_error(o, "--clients 0 needs --duration (nothing would end the server)%s", "");
  for (k = 0; k < o->nplaces; k++) {
    struct stat st;
    if (stat(o->places[k], &st) != 0) {
      fprintf(stderr, PROG ": %s: %s\n", o->places[k], strerror(errno));
      return 2;
    }
  }
  return 0;
}

/* 0 to run o->command, -1 when done already (help, version), else the exit status. */
static int parse_args(int argc, char **argv, options *o) {
  const command_spec *cmd;
  int i;
  default_options(o);
  if (argc < 2) {
    usage(stderr);
    return 2;
  }
  if (strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "help") == 0) {
    usage(stdout);
    return -1;
  }
  if (strcmp(argv[1], "--version") == 0) {
    printf(PROG " %d.%d.%d\n", RMT_VERSION_MAJOR, RMT_VERSION_MINOR, RMT_VERSION_PATCH);
    return -1;
  }
  cmd = find_command(argv[1]);
  if (!cmd)
    return usage_error("unknown command '%s' (expected serve, join, play, ticket or keygen)",
                       argv[1]);
  o->command = cmd->name;
  o->cmd = cmd->bit;
  for (i = 2; i < argc; i++) {
    const char *a = argv[i];
    int rc;
    if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
      usage(stdout);
      return -1;
    }
    if (strncmp(a, "--", 2) != 0) {
      if (o->nplaces >= MAX_PLACES) return usage_error("too many places (at most 64): '%s'", a);
      o->places[o->nplaces++] = a;
      continue;
    }
    if ((rc = parse_option(argc, argv, &i, o)) != 0) return rc;
  }
  return check_options(o);
}

/* Engine log lines become host warnings (errors included: the engine's errors are about
 * the network, not uncaught script errors). */
/* Roblox Studio's user ids when no ticket gives one: Player1 -> -1, Player2 -> -2, ... and any
 * other name a stable negative id from its FNV-1a hash, -(2^40 + h mod 2^40) (13 digits, so
 * tostring shows it whole; never one of PlayerN's: N has at most 12 digits), so an id follows
 * the name, not the join order. Sent as the 64-bit two's complement; the Lua host reads user
 * ids as signed. */
static int64_t studio_user_id(const char *name) {
  uint64_t h = 14695981039346656037ULL, n = 0;
  const char *p;
  if (strncmp(name, "Player", 6) == 0 && name[6] >= '1' && name[6] <= '9' && strlen(name) <= 6 + 12) {
    for (p = name + 6; *p >= '0' && *p <= '9'; p++) n = n * 10 + (uint64_t)(*p - '0');
    if (*p == 0) return -(int64_t)n;
  }
  for (p = name; *p; p++) {
    h ^= (unsigned char)*p;
    h *= 1099511628211ULL;
  }
  return -(int64_t)((1ULL << 40) + (h & ((1ULL << 40) - 1)));
}

static int verify_studio_ids(void *ud, const uint8_t *ticket, size_t ticket_len, char *name,
                             uint64_t *user_id, char *reason) {
  (void)ud;
  (void)ticket;
  (void)ticket_len;
  (void)reason;
  *user_id = (uint64_t)studio_user_id(name);
  return 0;
}

static void log_to_host(void *ud, rmt_log_level level, const char *message) {
  rmt_host *host = ud;
  if (level == RMT_LOG_DEBUG || level == RMT_LOG_INFO) {
    if (getenv("REMOTES_VERBOSE")) rmt_host_emit(host, RMT_HOST_WARN, message);
    return;
  }
  rmt_host_emit(host, RMT_HOST_WARN, message);
}

static int load_places(rmt_host *host, const options *o) {
  int i;
  for (i = 0; i < o->nplaces; i++) {
    rmt_error err;
    memset(&err, 0, sizeof err);
    if (rmt_host_load(host, o->places[i], &err) != 0) {
      rmt_host_error(host, "%s", err.message);
      return -1;
    }
  }
  return 0;
}

static uint32_t ms_until(double seconds) {
  if (seconds <= 0) return 0;
  if (seconds > 0.1) return 100;
  return (uint32_t)ceil(seconds * 1000.0);
}

static int run_server(const options *o) {
  rmt_host_config hc;
  rmt_server_config sc;
  rmt_host *host;
  rmt_host_status st;
  rmt_server *server;
  rmt_error err;
  double start, emptied_at = -1;
  int code;
  memset(&hc, 0, sizeof hc);
  hc.side = RMT_HOST_SERVER;
  hc.origin = "Server";
  hc.script_timeout = o->script_timeout;
  hc.memory_limit = (size_t)o->memory_limit;
  host = rmt_host_create(&hc, &err);
  if (!host) {
    fprintf(stderr, "[Server] ERROR: %s\n", err.message);
    return 1;
  }
  g_host = host;
  if (o->duration > 0) rmt_host_stop_at(host, rmt_host_clock() + o->duration);
  rmt_server_config_default(&sc);
  sc.bind_host = o->bind;
  sc.port = (uint16_t)(o->port < 0 ? 7777 : o->port);
  sc.log = log_to_host;
  sc.log_ud = host;
  if (o->has_key) {
    sc.ticket_key = o->keybytes;
    sc.ticket_key_len = sizeof o->keybytes;
    sc.ticket_max_uses = (uint32_t)o->ticket_uses;
  } else {
    sc.verify = verify_studio_ids;
  }
  if (o->max_per_address >= 0) sc.max_per_address = (uint32_t)o->max_per_address;
  else if (sc.max_per_address && o->expect > (int)sc.max_per_address)
    sc.max_per_address = (uint32_t)o->expect; /* play: all its players come from loopback */
  rmt_host_server_config(host, &sc);
  server = rmt_server_create(&sc, &err);
  if (!server) {
    rmt_host_emitf(host, RMT_HOST_ERROR, "cannot serve on %s:%u: %s", sc.bind_host,
                   (unsigned)sc.port, err.message);
    host_done(host);
    return 1;
  }
  rmt_host_attach_server(host, server);
  if (load_places(host, o) != 0) {
    host_done(host);
    return 1;
  }
  rmt_host_start_scripts(host);
  rmt_host_step(host);
  rmt_server_flush(server);
  if (o->ready_fd >= 0) {
    char buf[16];
    int n = snprintf(buf, sizeof buf, "%u\n", (unsigned)rmt_server_port(server));
    if (write(o->ready_fd, buf, (size_t)n) < 0) { /* the parent reports a missing port */
    }
    close(o->ready_fd);
  } else if (isatty(2)) {
    fprintf(stderr, "[Server] listening on %s:%u\n", sc.bind_host,
            (unsigned)rmt_server_port(server));
  }
  start = rmt_host_clock();
  for (;;) {
    double now = rmt_host_clock();
    double wait = rmt_host_next_due(host);
    rmt_host_get_status(host, &st);
    if (g_stop || st.stopped) break;
    if (o->duration > 0 && now - start >= o->duration) break;
    rmt_server_service(server, ms_until(wait));
    if (g_stop) break;
    rmt_host_step(host);
    rmt_host_get_status(host, &st);
    if (o->expect > 0 && st.players_joined >= o->expect && st.players_present <= 0) {
      /* everyone left: let PlayerRemoving handlers finish what they started this frame */
      if (emptied_at < 0) emptied_at = rmt_host_clock();
      if (rmt_host_clock() - emptied_at > 0.1) break;
    } else {
      emptied_at = -1;
    }
  }
  rmt_server_flush(server);
  rmt_host_get_status(host, &st);
  code = st.errors > 0 ? 1 : 0;
  host_done(host);
  return code;
}

static int run_client(const options *o, const char *name) {
  rmt_host_config hc;
  rmt_client_config cc;
  rmt_host *host;
  rmt_host_status st;
  rmt_client *client;
  rmt_error err;
  double start, last_arrival; /* last arrival or script activity */
  unsigned long resumes;
  int code, rc;
  memset(&hc, 0, sizeof hc);
  hc.side = RMT_HOST_CLIENT;
  hc.origin = name;
  hc.script_timeout = o->script_timeout;
  hc.memory_limit = (size_t)o->memory_limit;
  host = rmt_host_create(&hc, &err);
  if (!host) {
    fprintf(stderr, "[%s] ERROR: %s\n", name, err.message);
    return 1;
  }
  g_host = host;
  if (o->duration > 0) rmt_host_stop_at(host, rmt_host_clock() + o->duration);
  if (load_places(host, o) != 0) {
    host_done(host);
    return 1;
  }
  rmt_client_config_default(&cc);
  cc.host = o->host;
  cc.port = (uint16_t)(o->port < 0 ? 7777 : o->port);
  cc.name = name;
  if (o->ticket) {
    cc.ticket = (const uint8_t *)o->ticket;
    cc.ticket_len = strlen(o->ticket);
  }
  cc.log = log_to_host;
  cc.log_ud = host;
  rmt_host_client_config(host, &cc);
  client = rmt_client_create(&cc, &err);
  if (!client) {
    rmt_host_emitf(host, RMT_HOST_ERROR, "cannot join %s:%u: %s", cc.host, (unsigned)cc.port,
                   err.message);
    host_done(host);
    return 1;
  }
  rmt_host_attach_client(host, client);
  rc = rmt_client_wait_connected(client, 5000, &err);
  if (rc != 0) {
    rmt_host_error(host, "cannot join %s:%u: %s", cc.host, (unsigned)cc.port,
                   err.message[0] ? err.message : rmt_strerror(rc));
    host_done(host);
    return 1;
  }
  rmt_host_client_joined(host);
  rmt_host_start_scripts(host);
  rmt_host_step(host);
  rmt_client_flush(client);
  start = last_arrival = rmt_host_clock();
  rmt_host_get_status(host, &st);
  resumes = st.resumes;
  for (;;) {
    double now = rmt_host_clock();
    int n;
    rmt_host_get_status(host, &st);
    if (g_stop || st.quit || st.stopped) break;
    if (o->duration > 0 && now - start >= o->duration) break;
    n = rmt_client_service(client, ms_until(rmt_host_next_due(host)));
    if (n > 0) last_arrival = rmt_host_clock();
    if (g_stop) break;
    rmt_host_step(host);
    rmt_host_get_status(host, &st);
    /* a thread that ran (a timer came due, a listener connected) starts a new idle window:
     * what the engine queued for a remote it just listened to is delivered next service */
    if (st.resumes != resumes) {
      resumes = st.resumes;
      last_arrival = rmt_host_clock();
    }
    if (st.disconnected) {
      if (st.disconnect_status != RMT_OK)
        rmt_host_emitf(host, RMT_HOST_WARN, "disconnected: %s",
                       st.disconnect_reason[0] ? st.disconnect_reason
                                               : rmt_strerror(st.disconnect_status));
      break;
    }
    if (o->idle > 0 && rmt_host_clock() - last_arrival >= o->idle && !rmt_host_busy(host)) break;
  }
  rmt_host_get_status(host, &st);
  code = st.errors > 0 ? 1 : 0;
  host_done(host);
  return code;
}

/* ---- play: one server process and N client processes ---- */

static pid_t spawn_child(int (*fn)(const options *, const char *), const options *o,
                         const char *name, int close_fd) {
  pid_t pid;
  fflush(stdout);
  fflush(stderr);
  pid = fork();
  if (pid == 0) {
    int code;
    if (close_fd >= 0) close(close_fd);
    code = fn(o, name);
    fflush(stdout);
    fflush(stderr);
    _exit(code);
  }
  return pid;
}

static int server_entry(const options *o, const char *name) {
  (void)name;
  return run_server(o);
}

static int client_entry(const options *o, const char *name) {
  return run_client(o, name);
}

/* Waits for `pid` up to `seconds`; returns its exit code, or -1 when it is still running. */
static int wait_for(pid_t pid, double seconds, int *status_out) {
  double until = rmt_host_clock() + seconds;
  for (;;) {
    int st;
    pid_t r = waitpid(pid, &st, WNOHANG);
    if (r == pid) {
      *status_out = WIFEXITED(st) ? WEXITSTATUS(st) : 1;
      return 0;
    }
    if (rmt_host_clock() >= until) return -1;
    {
      struct timespec ts = {0, 10 * 1000 * 1000};
      nanosleep(&ts, NULL);
    }
  }
}

/* Waits up to `grace` seconds more for `pid`, then SIGKILLs it (its status then counts as 1). */
static void reap_or_kill(pid_t pid, double grace, int *status) {
  if (wait_for(pid, grace, status) != 0) {
    kill(pid, SIGKILL);
    wait_for(pid, 5, status);
    *status = 1;
  }
}

/* Waits up to `seconds` for `pid` to end by itself, then SIGTERM, then SIGKILL. */
static void stop_child(pid_t pid, double seconds, int *status) {
  if (wait_for(pid, seconds, status) != 0) {
    kill(pid, SIGTERM);
    reap_or_kill(pid, 5, status);
  }
}

/* The processes of one play run. */
typedef struct play_run {
  const options *o;
  pid_t server;
  int port;
  int nclients;
  pid_t clients[MAX_CLIENTS];
  int done[MAX_CLIENTS]; /* reaped, or never started */
  int failed;
} play_run;

/* Forks the server (expecting every player, on a free port by default) and reads the port it
 * reports once its scripts have started. 0, or 1 with the reason on stderr. */
static int play_start_server(play_run *p) {
  options so = *p->o;
  int fds[2], status;
  char portbuf[32];
  size_t got = 0;
  if (pipe(fds) != 0) {
    fprintf(stderr, PROG ": pipe: %s\n", strerror(errno));
    return 1;
  }
  so.expect = p->nclients > 0 ? p->nclients : 0;
  so.ready_fd = fds[1];
  so.port = p->o->port < 0 ? 0 : p->o->port;
  so.duration = p->nclients > 0 ? 0 : p->o->duration; /* else it stops when its players left */
  p->server = spawn_child(server_entry, &so, "Server", fds[0]);
  close(fds[1]);
  if (p->server < 0) {
    close(fds[0]);
    fprintf(stderr, PROG ": fork: %s\n", strerror(errno));
    return 1;
  }
  while (got < sizeof portbuf - 1) {
    struct pollfd pfd = {fds[0], POLLIN, 0};
    ssize_t n;
    if (poll(&pfd, 1, 30000) <= 0) break;
    n = read(fds[0], portbuf + got, sizeof portbuf - 1 - got);
    if (n <= 0) break;
    got += (size_t)n;
    if (memchr(portbuf, '\n', got)) break;
  }
  close(fds[0]);
  portbuf[got] = 0;
  p->port = got ? atoi(portbuf) : 0;
  if (p->port <= 0) {
    stop_child(p->server, 5, &status);
    fprintf(stderr, PROG ": the server did not start\n");
    return 1;
  }
  return 0;
}

/* Forks Player1..PlayerN against the server's port, each with a ticket of its own under
 * --key. A client that cannot start is counted as failed and done. */
static void play_start_clients(play_run *p) {
  options co = *p->o;
  int i;
  co.port = p->port;
  co.duration = 0; /* the parent enforces --duration for everyone */
  for (i = 0; i < p->nclients; i++) {
    char name[32];
    char ticket[RMT_TICKET_TEXT_MAX];
    snprintf(name, sizeof name, "Player%d", i + 1);
    co.ticket = NULL;
    if (p->o->has_key) {
      rmt_error err;
      if (rmt_ticket_mint(p->o->keybytes, sizeof p->o->keybytes, (uint64_t)(i + 1), name,
                          (uint32_t)p->o->ttl, ticket, sizeof ticket, &err) != 0) {
        fprintf(stderr, PROG ": cannot mint a ticket for %s: %s\n", name, err.message);
        p->done[i] = 1;
        p->failed = 1;
        continue;
      }
      co.ticket = ticket;
    }
    p->clients[i] = spawn_child(client_entry, &co, name, -1);
    if (p->clients[i] < 0) {
      p->done[i] = 1;
      p->failed = 1;
    }
  }
}

/* Until every client has left, or --duration / a signal ends them (SIGTERM first, so the
 * server still sees them go). */
static void play_wait_clients(play_run *p) {
  double start = rmt_host_clock();
  int i, status;
  for (;;) {
    int running = 0;
    for (i = 0; i < p->nclients; i++) {
      if (p->done[i]) continue;
      if (wait_for(p->clients[i], 0, &status) == 0) {
        p->done[i] = 1;
        if (status != 0) p->failed = 1;
      } else {
        running++;
      }
    }
    if (running == 0) return;
    if (g_stop || (p->o->duration > 0 && rmt_host_clock() - start >= p->o->duration)) break;
    {
      struct timespec ts = {0, 20 * 1000 * 1000};
      nanosleep(&ts, NULL);
    }
  }
  for (i = 0; i < p->nclients; i++)
    if (!p->done[i]) kill(p->clients[i], SIGTERM);
  for (i = 0; i < p->nclients; i++) {
    if (p->done[i]) continue;
    reap_or_kill(p->clients[i], 5, &status);
    p->done[i] = 1;
    if (status != 0) p->failed = 1;
  }
}

static int run_play(const options *o) {
  play_run p;
  int status;
  memset(&p, 0, sizeof p);
  p.o = o;
  p.nclients = o->clients;
  if (play_start_server(&p) != 0) return 1;
  play_start_clients(&p);
  play_wait_clients(&p);
  /* every client left: the server runs PlayerRemoving and stops by itself */
  stop_child(p.server, p.nclients > 0 ? 12 : o->duration + 5, &status);
  if (status != 0) p.failed = 1;
  return p.failed ? 1 : 0;
}

static int run_ticket(const options *o) {
  char text[RMT_TICKET_TEXT_MAX];
  rmt_error err;
  if (rmt_ticket_mint(o->keybytes, sizeof o->keybytes, (uint64_t)o->user, o->name,
                      (uint32_t)o->ttl, text, sizeof text, &err) != 0) {
    fprintf(stderr, PROG ": ticket: %s\n", err.message);
    return 2;
  }
  printf("%s\n", text);
  return 0;
}

static int run_keygen(void) {
  uint8_t key[RMT_TICKET_KEY_BYTES];
  char hex[2 * RMT_TICKET_KEY_BYTES + 1];
  if (sodium_init() < 0) {
    fprintf(stderr, PROG ": keygen: libsodium could not initialise\n");
    return 1;
  }
  randombytes_buf(key, sizeof key);
  sodium_bin2hex(hex, sizeof hex, key, sizeof key);
  printf("%s\n", hex);
  sodium_memzero(key, sizeof key);
  return 0;
}

int main(int argc, char **argv) {
  options o;
  int rc = parse_args(argc, argv, &o);
  if (rc != 0) return rc < 0 ? 0 : rc;
  install_signals();
  if (o.cmd == CMD_SERVE) return run_server(&o);
  if (o.cmd == CMD_TICKET) return run_ticket(&o);
  if (o.cmd == CMD_KEYGEN) return run_keygen();
  if (o.cmd == CMD_JOIN) {
    /* With a ticket the server names the player; show that name from the start. */
    rmt_ticket t;
    if (o.ticket && !o.name &&
        rmt_ticket_peek(o.ticket, strlen(o.ticket), &t, NULL) == RMT_OK)
      return run_client(&o, t.name);
    return run_client(&o, o.name ? o.name : "Player1");
  }
  return run_play(&o);
}
