/*
 * remotes.c - the `remotes` command: serve, join and play Roblox-style Lua places over the
 * engine. It manages arguments, processes and output prefixes; it never holds game logic.
 */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <math.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <sodium.h>

#include "lua/host.h"
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

typedef struct options {
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
  int has_user;
  double ttl;         /* --ticket lifetime (default 3600) */
  int ticket_uses;    /* --ticket-uses (serve/play; default 1) */
  int max_per_address; /* --max-per-address (serve/play); -1 = the library's default */
  uint8_t keybytes[RMT_TICKET_KEY_BYTES];
  int has_key;
  double script_timeout; /* --script-timeout (0 = never; default RMT_HOST_SCRIPT_TIMEOUT) */
  double memory_limit;   /* --memory-limit in bytes (0 = the side's default) */
} options;

static void usage(FILE *f) {
  fprintf(f,
          "usage: " PROG " <command> PLACE... [options]\n"
          "\n"
          "Runs Roblox-style Lua places (Scripts, LocalScripts, ModuleScripts, remotes) as a\n"
          "server and clients over UDP.\n"
          "\n"
          "commands:\n"
          "  serve PLACE... [--port 7777] [--bind 127.0.0.1] [--duration S]\n"
          "      run the server side: Scripts in ServerScriptService, ReplicatedStorage,\n"
          "      ServerStorage\n"
          "  join PLACE... [--host 127.0.0.1] [--port 7777] [--name NAME] [--idle S] [--duration S]\n"
          "      run one client: LocalScripts in StarterPlayerScripts; remotes as the server\n"
          "      replicates them. Leaves when idle (--idle 0: never)\n"
          "  play PLACE... [--clients N] [--port P] [--duration S] [--idle S]\n"
          "      one server and N clients (Player1..PlayerN) over loopback, like Studio's\n"
          "      \"start server with N players\"; output lines are prefixed [Server]/[PlayerN]\n"
          "  ticket --key K --user ID --name NAME [--ttl 3600]\n"
          "      print a signed join ticket for a server started with --key K\n"
          "  keygen\n"
          "      print a fresh random ticket key (64 hex digits)\n"
          "\n"
          "PLACE is a folder laid out like Rojo (service folders, *.server.lua, *.client.lua,\n"
          "*.lua, *.model.json, default.project.json) or a single script/model file, placed by\n"
          "its suffix.\n"
          "\n"
          "options:\n"
          "  --clients N    number of players for play (default 1)\n"
          "  --port P       UDP port (serve/join default 7777; play picks a free one)\n"
          "  --bind ADDR    address the server binds (default 127.0.0.1)\n"
          "  --host ADDR    server address for join (default 127.0.0.1)\n"
          "  --name NAME    player name for join (default Player1)\n"
          "  --duration S   stop everything after S seconds\n"
          "  --idle S       a client leaves once its scripts are idle and nothing arrived for S\n"
          "  --script-timeout S  a script running S seconds without yielding gets 'Script\n"
          "                 timeout: exhausted allowed execution time' (default 10; 0: never)\n"
          "  --memory-limit SIZE  cap on each Lua state (bytes or K/M/G; default 1G server,\n"
          "                 512M client): past it the allocating script gets 'not enough memory'\n"
          "                 seconds (default 1)\n"
          "  --key K        ticket key: 64 hex digits, or a file holding them. serve/play:\n"
          "                 admit only players with a valid ticket (play mints one per player)\n"
          "  --ticket-uses N  joins allowed per ticket (serve/play; default 1, 0 = unlimited\n"
          "                 until it expires)\n"
          "  --max-per-address N  connections one IP address may hold (serve/play; default 8,\n"
          "                 0 = unlimited; play raises it to --clients)\n"
          "  --ticket T     join with this ticket (join); the name comes from the ticket\n"
          "  --user ID      user id for ticket (0..2^53)\n"
          "  --ttl S        ticket lifetime in seconds (default 3600)\n"
          "  --verbose      also show the engine's informational log\n"
          "  -h, --help     this help\n"
          "\n"
          "exit status: 0, or 1 if any script raised an uncaught error; 2 for usage errors.\n");
}

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

/* SIZE: bytes, or a number with a K, M or G suffix (powers of 1024; a trailing B is fine),
 * between 1M and 1000T. */
static int parse_size(const char *s, double *out) {
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
  *out = floor(v);
  return 0;
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

static int parse_args(int argc, char **argv, options *o) {
  int i;
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
  o->command = argv[1];
  if (strcmp(o->command, "serve") != 0 && strcmp(o->command, "join") != 0 &&
      strcmp(o->command, "play") != 0 && strcmp(o->command, "ticket") != 0 &&
      strcmp(o->command, "keygen") != 0)
    return usage_error("unknown command '%s' (expected serve, join, play, ticket or keygen)",
                       o->command);
  for (i = 2; i < argc; i++) {
    const char *a = argv[i];
    const char *val = NULL;
    char optname[64];
    double num;
    if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
      usage(stdout);
      return -1;
    }
    if (strcmp(a, "--verbose") == 0) {
      o->verbose = 1;
      continue;
    }
    if (strncmp(a, "--", 2) != 0) {
      if (o->nplaces >= MAX_PLACES) return usage_error("too many places (at most 64): '%s'", a);
      o->places[o->nplaces++] = a;
      continue;
    }
    /* --opt=value or --opt value */
    {
      const char *eq = strchr(a, '=');
      size_t n = eq ? (size_t)(eq - a) : strlen(a);
      if (n >= sizeof optname) return usage_error("unknown option '%s'", a);
      memcpy(optname, a, n);
      optname[n] = 0;
      if (eq) {
        val = eq + 1;
      } else if (strcmp(optname, "--port") == 0 || strcmp(optname, "--bind") == 0 ||
                 strcmp(optname, "--host") == 0 || strcmp(optname, "--name") == 0 ||
                 strcmp(optname, "--clients") == 0 || strcmp(optname, "--duration") == 0 ||
                 strcmp(optname, "--idle") == 0 || strcmp(optname, "--expect") == 0 ||
                 strcmp(optname, "--ready-fd") == 0 || strcmp(optname, "--key") == 0 ||
                 strcmp(optname, "--ticket") == 0 || strcmp(optname, "--user") == 0 ||
                 strcmp(optname, "--ttl") == 0 || strcmp(optname, "--ticket-uses") == 0 ||
                 strcmp(optname, "--script-timeout") == 0 ||
                 strcmp(optname, "--memory-limit") == 0 ||
                 strcmp(optname, "--max-per-address") == 0) {
        if (i + 1 >= argc) return usage_error("option '%s' needs a value", optname);
        val = argv[++i];
      } else {
        return usage_error("unknown option '%s'", a);
      }
    }
    if (strcmp(optname, "--port") == 0) {
      if (parse_number(optname, val, 0, 65535, &num) != 0) return 2;
      o->port = (int)num;
    } else if (strcmp(optname, "--bind") == 0) {
      o->bind = val;
    } else if (strcmp(optname, "--host") == 0) {
      o->host = val;
    } else if (strcmp(optname, "--name") == 0) {
      o->name = val;
    } else if (strcmp(optname, "--clients") == 0) {
      if (parse_number(optname, val, 0, MAX_CLIENTS, &num) != 0) return 2;
      if (num != floor(num)) return usage_error("--clients expects a whole number, got '%s'", val);
      o->clients = (int)num;
    } else if (strcmp(optname, "--duration") == 0) {
      if (parse_number(optname, val, 0.001, 1e7, &o->duration) != 0) return 2;
    } else if (strcmp(optname, "--idle") == 0) {
      if (parse_number(optname, val, 0, 1e7, &o->idle) != 0) return 2;
    } else if (strcmp(optname, "--expect") == 0) {
      if (parse_number(optname, val, 0, 1e6, &num) != 0) return 2;
      o->expect = (int)num;
    } else if (strcmp(optname, "--ready-fd") == 0) {
      if (parse_number(optname, val, 0, 1e6, &num) != 0) return 2;
      o->ready_fd = (int)num;
    } else if (strcmp(optname, "--key") == 0) {
      o->key = val;
    } else if (strcmp(optname, "--ticket") == 0) {
      o->ticket = val;
    } else if (strcmp(optname, "--user") == 0) {
      if (parse_number(optname, val, 0, 9007199254740992.0, &o->user) != 0) return 2;
      if (o->user != floor(o->user)) return usage_error("--user expects a whole number, got '%s'", val);
      o->has_user = 1;
    } else if (strcmp(optname, "--ttl") == 0) {
      if (parse_number(optname, val, 1, 31536000, &o->ttl) != 0) return 2;
      if (o->ttl != floor(o->ttl)) return usage_error("--ttl expects whole seconds, got '%s'", val);
    } else if (strcmp(optname, "--ticket-uses") == 0) {
      if (parse_number(optname, val, 0, 1e6, &num) != 0) return 2;
      if (num != floor(num)) return usage_error("--ticket-uses expects a whole number, got '%s'", val);
      o->ticket_uses = (int)num;
    } else if (strcmp(optname, "--script-timeout") == 0) {
      if (parse_number(optname, val, 0, 1e7, &o->script_timeout) != 0) return 2;
      if (o->script_timeout == 0) o->script_timeout = -1; /* 0 = never */
    } else if (strcmp(optname, "--memory-limit") == 0) {
      if (parse_size(val, &o->memory_limit) != 0) return 2;
    } else if (strcmp(optname, "--max-per-address") == 0) {
      if (parse_number(optname, val, 0, 1e6, &num) != 0) return 2;
      if (num != floor(num))
        return usage_error("--max-per-address expects a whole number, got '%s'", val);
      o->max_per_address = (int)num;
    } else {
      return usage_error("unknown option '%s'", optname);
    }
  }
  if (o->key) {
    if (load_key(o->key, o->keybytes) != 0) return 2;
    o->has_key = 1;
  }
  if (strcmp(o->command, "keygen") == 0) {
    if (o->nplaces) return usage_error("keygen: unexpected argument '%s'", o->places[0]);
    return 0;
  }
  if (strcmp(o->command, "ticket") == 0) {
    if (o->nplaces) return usage_error("ticket: unexpected argument '%s'", o->places[0]);
    if (!o->has_key) return usage_error("%s: --key is required", o->command);
    if (!o->has_user) return usage_error("%s: --user is required", o->command);
    if (!o->name) return usage_error("%s: --name is required", o->command);
    return 0;
  }
  if (o->ticket && strcmp(o->command, "join") != 0)
    return usage_error("%s: --ticket is for join (play mints tickets itself with --key)", o->command);
  if (o->ticket_uses != 1 && !o->key)
    return usage_error("%s: --ticket-uses needs --key", o->command);
  if (o->key && strcmp(o->command, "join") == 0)
    return usage_error("%s: --key is for serve/play/ticket; join takes --ticket", o->command);
  if (o->nplaces == 0) return usage_error("%s: no PLACE given", o->command);
  if (strcmp(o->command, "play") == 0 && o->clients == 0 && o->duration <= 0)
    return usage_error("%s: --clients 0 needs --duration (nothing would end the server)", o->command);
  {
    int k;
    for (k = 0; k < o->nplaces; k++) {
      struct stat st;
      if (stat(o->places[k], &st) != 0) {
        fprintf(stderr, PROG ": %s: %s\n", o->places[k], strerror(errno));
        return 2;
      }
    }
  }
  return 0;
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
      host->errors++;
      rmt_host_emit(host, RMT_HOST_ERROR, err.message);
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
  while (!g_stop && !host->interrupted) {
    double now = rmt_host_clock();
    double wait = rmt_host_next_due(host);
    if (o->duration > 0 && now - start >= o->duration) break;
    rmt_server_service(server, ms_until(wait));
    if (g_stop) break;
    rmt_host_step(host);
    if (o->expect > 0 && host->players_joined >= o->expect && host->players_present <= 0) {
      /* everyone left: let PlayerRemoving handlers finish what they started this frame */
      if (emptied_at < 0) emptied_at = rmt_host_clock();
      if (rmt_host_clock() - emptied_at > 0.1) break;
    } else {
      emptied_at = -1;
    }
  }
  rmt_server_flush(server);
  code = host->errors > 0 ? 1 : 0;
  host_done(host);
  return code;
}

static int run_client(const options *o, const char *name) {
  rmt_host_config hc;
  rmt_client_config cc;
  rmt_host *host;
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
    host->errors++;
    rmt_host_emitf(host, RMT_HOST_ERROR, "cannot join %s:%u: %s", cc.host, (unsigned)cc.port,
                   err.message[0] ? err.message : rmt_strerror(rc));
    host_done(host);
    return 1;
  }
  rmt_host_client_joined(host);
  rmt_host_start_scripts(host);
  rmt_host_step(host);
  rmt_client_flush(client);
  start = last_arrival = rmt_host_clock();
  resumes = host->resumes;
  while (!g_stop && !host->quit && !host->interrupted) {
    double now = rmt_host_clock();
    int n;
    if (o->duration > 0 && now - start >= o->duration) break;
    n = rmt_client_service(client, ms_until(rmt_host_next_due(host)));
    if (n > 0) last_arrival = rmt_host_clock();
    if (g_stop) break;
    rmt_host_step(host);
    /* a thread that ran (a timer came due, a listener connected) starts a new idle window:
     * what the engine queued for a remote it just listened to is delivered next service */
    if (host->resumes != resumes) {
      resumes = host->resumes;
      last_arrival = rmt_host_clock();
    }
    if (host->disconnected) {
      if (host->disconnect_status != RMT_OK)
        rmt_host_emitf(host, RMT_HOST_WARN, "disconnected: %s",
                       host->disconnect_reason[0] ? host->disconnect_reason
                                                  : rmt_strerror(host->disconnect_status));
      break;
    }
    if (o->idle > 0 && rmt_host_clock() - last_arrival >= o->idle && !rmt_host_busy(host)) break;
  }
  code = host->errors > 0 ? 1 : 0;
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

static int run_play(const options *o) {
  options so = *o, co = *o;
  int fds[2];
  pid_t server, clients[MAX_CLIENTS];
  int client_done[MAX_CLIENTS] = {0};
  int nclients = o->clients, i, failed = 0, status;
  char portbuf[32];
  size_t got = 0;
  double start;
  if (pipe(fds) != 0) {
    fprintf(stderr, PROG ": pipe: %s\n", strerror(errno));
    return 1;
  }
  so.expect = nclients > 0 ? nclients : 0;
  so.ready_fd = fds[1];
  so.port = o->port < 0 ? 0 : o->port;
  so.duration = nclients > 0 ? 0 : o->duration; /* otherwise it stops when its players left */
  server = spawn_child(server_entry, &so, "Server", fds[0]);
  close(fds[1]);
  if (server < 0) {
    fprintf(stderr, PROG ": fork: %s\n", strerror(errno));
    return 1;
  }
  /* the server reports its port once its scripts have started */
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
  if (got == 0 || atoi(portbuf) <= 0) {
    if (wait_for(server, 5, &status) != 0) {
      kill(server, SIGTERM);
      wait_for(server, 5, &status);
    }
    fprintf(stderr, PROG ": the server did not start\n");
    return 1;
  }
  co.port = atoi(portbuf);
  co.duration = 0; /* the parent enforces --duration for everyone */
  for (i = 0; i < nclients; i++) {
    char name[32];
    char ticket[RMT_TICKET_TEXT_MAX];
    snprintf(name, sizeof name, "Player%d", i + 1);
    co.ticket = NULL;
    if (o->has_key) {
      rmt_error err;
      if (rmt_ticket_mint(o->keybytes, sizeof o->keybytes, (uint64_t)(i + 1), name,
                          (uint32_t)o->ttl, ticket, sizeof ticket, &err) != 0) {
        fprintf(stderr, PROG ": cannot mint a ticket for %s: %s\n", name, err.message);
        client_done[i] = 1;
        failed = 1;
        continue;
      }
      co.ticket = ticket;
    }
    clients[i] = spawn_child(client_entry, &co, name, -1);
    if (clients[i] < 0) {
      client_done[i] = 1;
      failed = 1;
    }
  }
  start = rmt_host_clock();
  for (;;) {
    int running = 0;
    for (i = 0; i < nclients; i++) {
      if (client_done[i]) continue;
      if (wait_for(clients[i], 0, &status) == 0) {
        client_done[i] = 1;
        if (status != 0) failed = 1;
      } else {
        running++;
      }
    }
    if (running == 0) break;
    if (g_stop || (o->duration > 0 && rmt_host_clock() - start >= o->duration)) {
      for (i = 0; i < nclients; i++)
        if (!client_done[i]) kill(clients[i], SIGTERM);
      for (i = 0; i < nclients; i++) {
        if (client_done[i]) continue;
        if (wait_for(clients[i], 5, &status) != 0) {
          kill(clients[i], SIGKILL);
          wait_for(clients[i], 5, &status);
          status = 1;
        }
        client_done[i] = 1;
        if (status != 0) failed = 1;
      }
      break;
    }
    {
      struct timespec ts = {0, 20 * 1000 * 1000};
      nanosleep(&ts, NULL);
    }
  }
  /* every client left: the server runs PlayerRemoving and stops by itself */
  if (wait_for(server, nclients > 0 ? 12 : o->duration + 5, &status) != 0) {
    kill(server, SIGTERM);
    if (wait_for(server, 5, &status) != 0) {
      kill(server, SIGKILL);
      wait_for(server, 5, &status);
      status = 1;
    }
  }
  if (status != 0) failed = 1;
  return failed ? 1 : 0;
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
  if (strcmp(o.command, "serve") == 0) return run_server(&o);
  if (strcmp(o.command, "ticket") == 0) return run_ticket(&o);
  if (strcmp(o.command, "keygen") == 0) return run_keygen();
  if (strcmp(o.command, "join") == 0) {
    /* With a ticket the server names the player; show that name from the start. */
    rmt_ticket t;
    if (o.ticket && !o.name &&
        rmt_ticket_peek(o.ticket, strlen(o.ticket), &t, NULL) == RMT_OK)
      return run_client(&o, t.name);
    return run_client(&o, o.name ? o.name : "Player1");
  }
  return run_play(&o);
}
