// bench.js - the socket.io 4 peer: this process is the server (websocket transport only)
// and the coordinator of client processes (client.js); prints one JSON line like the C
// programs. Control goes over the IPC channel, never over the measured sockets.
"use strict";
const http = require("http");
const path = require("path");
const { fork } = require("child_process");
const { Server } = require("socket.io");
const parser = require("socket.io-parser");

const opt = { scenario: process.argv[2] || "fire", clients: 1, procs: 1, runs: 5, seconds: 1, payload: "jump", quick: 0 };
for (let i = 3; i < process.argv.length; i += 2) {
  const key = process.argv[i].replace(/^--/, "");
  const value = process.argv[i + 1];
  opt[key] = key === "payload" ? value : Number(value);
}
const BROADCAST_CHUNK = 64;
const STALL_S = 20;

const now = () => Number(process.hrtime.bigint()) / 1e9;
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const gc = () => {
  if (global.gc) global.gc();
};
function fail(what) {
  process.stderr.write(`bench socketio: ${what}\n`);
  process.exit(1);
}

function codec() {
  const lists = {
    jump_150: ["jump", 150],
    table_3_fields: [{ name: "Alice", gold: 1200, level: 7 }],
    // JSON has no Vector3/CFrame: the nearest socket.io form is arrays of numbers.
    vector3_cframe: [
      [1.5, 2.25, -3.75],
      [10.5, 4, -2.5, 1, 0, 0, 0, 0.70710677, -0.70710677, 0, 0.70710677, 0.70710677],
    ],
  };
  const runs = [];
  // Pass 0 warms the JIT up and is not reported.
  for (let r = 0; r <= opt.runs; r++) {
    const out = {};
    for (const [name, args] of Object.entries(lists)) {
      const packet = { type: parser.PacketType.EVENT, nsp: "/", data: ["fire", ...args] };
      const encoder = new parser.Encoder();
      let encoded;
      const budget = opt.seconds / 6;
      let n = 0;
      let t0 = now();
      while (now() - t0 < budget) {
        for (let k = 0; k < 1000; k++) encoded = encoder.encode(packet);
        n += 1000;
      }
      out[`${name}_encode_ns`] = ((now() - t0) * 1e9) / n;
      out[`${name}_bytes`] = Buffer.byteLength(encoded[0]);
      const decoder = new parser.Decoder();
      let decoded = 0;
      decoder.on("decoded", () => decoded++);
      n = 0;
      t0 = now();
      while (now() - t0 < budget) {
        for (let k = 0; k < 1000; k++) decoder.add(encoded[0]);
        n += 1000;
      }
      if (decoded !== n) fail("decoder lost packets");
      out[`${name}_decode_ns`] = ((now() - t0) * 1e9) / n;
    }
    if (r > 0) runs.push(out);
  }
  return runs;
}

async function main() {
  const header = { peer: "socketio", scenario: opt.scenario, clients: opt.clients, procs: opt.procs, payload: opt.payload };
  if (opt.scenario === "codec") {
    console.log(JSON.stringify({ ...header, runs: codec() }));
    return;
  }

  const httpServer = http.createServer();
  const io = new Server(httpServer, { transports: ["websocket"], serveClient: false });
  const handledBy = new Array(opt.clients).fill(0);
  let handled = 0;
  let joined = 0;
  const serverSockets = [];
  io.on("connection", (socket) => {
    const index = Number(socket.handshake.auth.index);
    joined++;
    serverSockets.push(socket);
    socket.on("fire", () => {
      handled++;
      handledBy[index]++;
    });
    socket.on("invoke", (a, b, ack) => ack(a, b));
  });
  await new Promise((r) => httpServer.listen(0, "127.0.0.1", r));
  const port = httpServer.address().port;
  const serverBytes = () =>
    serverSockets.reduce((sum, s) => {
      const raw = s.conn && s.conn.transport && s.conn.transport.socket;
      return sum + (raw && raw._socket ? raw._socket.bytesWritten : 0);
    }, 0);

  // Client processes and their reports.
  const procs = [];
  const waiters = [];
  const state = { ready: 0, done: new Map(), progress: [], fired: [], bytes: [], result: null };
  const notify = () => waiters.splice(0).forEach((w) => w());
  const until = async (cond, what) => {
    const start = now();
    while (!cond()) {
      if (now() - start > STALL_S * 3) fail(`${what} (timeout)`);
      await new Promise((r) => {
        waiters.push(r);
        setTimeout(r, 5);
      });
    }
  };
  for (let p = 0; p < opt.procs; p++) {
    const first = Math.floor((opt.clients * p) / opt.procs);
    const count = Math.floor((opt.clients * (p + 1)) / opt.procs) - first;
    const child = fork(path.join(__dirname, "client.js"), [], { stdio: ["ignore", "inherit", "inherit", "ipc"] });
    state.progress[p] = 0;
    state.fired[p] = 0;
    state.bytes[p] = 0;
    child.on("message", (m) => {
      if (m.ev === "ready") state.ready += m.count;
      else if (m.ev === "progress") state.progress[p] = m.min;
      else if (m.ev === "error") fail(`client: ${m.message}`);
      else if (m.ev === "done") {
        state.done.set(p, m.run);
        if (m.fired !== undefined) state.fired[p] = m.fired;
        state.bytes[p] = m.bytes;
        if (m.p50 !== undefined) state.result = m;
      }
      notify();
    });
    child.on("exit", (code) => {
      if (code && !state.quitting) fail(`client process exited with ${code}`);
    });
    child.send({ cmd: "setup", port, first, count, scenario: opt.scenario, payload: opt.payload });
    procs.push(child);
  }
  const allDone = (run) => procs.every((_, p) => state.done.get(p) === run);
  const clientBytes = () => state.bytes.reduce((a, b) => a + b, 0);
  const firedTotal = () => state.fired.reduce((a, b) => a + b, 0);
  const startRun = (run) => procs.forEach((c) => c.send({ cmd: "run", run, seconds: opt.seconds }));

  // Run 1 warms up (JIT, buffers) and is not reported, as in the C programs.
  const runs = [];
  if (opt.scenario !== "scale") {
    await until(() => state.ready === opt.clients && joined === opt.clients, "connect");
  }

  // Windows to probe (messages in flight in total, split across clients), as in the C
  // programs: each peer is measured with the window that suits it best; the probes are
  // the warm-up. QUICK mode probes two candidates, the ones full runs pick most often.
  const FIRE_WINDOWS = [256, 1024, 4096, 16384];
  const BROADCAST_WINDOWS = [2048, 8192, 32768, 131072];
  const probeSeconds = Math.min(0.3, Math.max(0.05, opt.seconds / 4));
  const perClient = (total, floor) => Math.max(floor, Math.floor(total / opt.clients));
  let run = 0;
  const pickBest = async (windows, floor, measure, quickSkip) => {
    let best = -1;
    let window = 0;
    for (const [i, total] of windows.entries()) {
      if (opt.quick && quickSkip.includes(i)) continue;
      // As in the C programs: the largest broadcast window is not probed above 100 clients.
      if (windows === BROADCAST_WINDOWS && i === 3 && opt.clients > 100) continue;
      const w = perClient(total, floor);
      const rate = (await measure(++run, probeSeconds, w)).rate;
      if (rate > best) {
        best = rate;
        window = w;
      }
    }
    return window;
  };

  if (opt.scenario === "fire") {
    const credit = setInterval(() => procs.forEach((c) => c.send({ cmd: "credit", counts: handledBy })), 5);
    const fireOne = async (r, seconds, window) => {
      const h0 = handled;
      const b0 = serverBytes() + clientBytes();
      const cpu0 = process.cpuUsage();
      const t0 = now();
      procs.forEach((c) => c.send({ cmd: "run", run: r, seconds, window }));
      await until(() => allDone(r) && handled >= firedTotal(), "fire run");
      const elapsed = now() - t0;
      const cpu = process.cpuUsage(cpu0);
      const cpuS = (cpu.user + cpu.system) / 1e6;
      const events = handled - h0;
      await sleep(20);
      const bytes = serverBytes() + clientBytes() - b0;
      return {
        rate: events / elapsed,
        figures: {
          events,
          seconds: elapsed,
          events_per_s: events / elapsed,
          bytes_per_event: bytes / events,
          server_cpu_pct: (100 * cpuS) / elapsed,
          server_cpu_ns_per_event: (cpuS * 1e9) / events,
        },
      };
    };
    header.window_per_client = await pickBest(FIRE_WINDOWS, 16, fireOne, [0, 2]);
    for (let i = 0; i < opt.runs; i++) runs.push((await fireOne(++run, opt.seconds, header.window_per_client)).figures);
    clearInterval(credit);
  } else if (opt.scenario === "broadcast") {
    let rounds = 0;
    const minProgress = () => Math.min(...state.progress);
    const broadcastOne = async (r, seconds, window) => {
      const r0 = rounds;
      const chunk = Math.min(window, BROADCAST_CHUNK);
      procs.forEach((c) => c.send({ cmd: "target", target: 0 }));
      const cpu0 = process.cpuUsage();
      const t0 = now();
      const end = t0 + seconds;
      startRun(r);
      while (now() < end) {
        let room = window - (rounds - minProgress());
        if (room > chunk) room = chunk;
        for (let k = 0; k < room; k++) io.emit("event", "A new round is starting!");
        if (room > 0) rounds += room;
        await new Promise((res) => (room > 0 ? setImmediate(res) : setTimeout(res, 1)));
      }
      procs.forEach((c) => c.send({ cmd: "target", target: rounds }));
      await until(() => allDone(r), "broadcast run");
      const elapsed = now() - t0;
      const rate = ((rounds - r0) * opt.clients) / elapsed;
      const cpu = process.cpuUsage(cpu0);
      const cpuS = (cpu.user + cpu.system) / 1e6;
      return {
        rate,
        figures: {
          rounds: rounds - r0,
          seconds: elapsed,
          deliveries_per_s: rate,
          server_cpu_pct: (100 * cpuS) / elapsed,
          server_cpu_ns_per_delivery: (cpuS * 1e9) / ((rounds - r0) * opt.clients),
        },
      };
    };
    header.window_rounds = await pickBest(BROADCAST_WINDOWS, 2, broadcastOne, [0, 3]);
    for (let i = 0; i < opt.runs; i++) runs.push((await broadcastOne(++run, opt.seconds, header.window_rounds)).figures);
  } else if (opt.scenario === "invoke") {
    for (let run = 1; run <= opt.runs + 1; run++) {
      state.result = null;
      startRun(run);
      await until(() => allDone(run), "invoke run");
      const m = state.result;
      if (run > 1) runs.push({ rtt_p50_us: m.p50 / 1e3, rtt_p99_us: m.p99 / 1e3, inflight64_per_s: m.completed / m.elapsed });
    }
  } else if (opt.scenario === "burst") {
    for (let run = 1; run <= opt.runs + 1; run++) {
      const h0 = handled;
      const b0 = serverBytes() + clientBytes();
      const cb0 = clientBytes();
      const cpu0 = process.cpuUsage();
      const t0 = now();
      startRun(run);
      await until(() => allDone(run) && handled >= firedTotal(), "burst run");
      const elapsed = now() - t0;
      const cpu = process.cpuUsage(cpu0);
      await sleep(50);
      const bytes = serverBytes() + clientBytes() - b0;
      if (run > 1) runs.push({
        events: handled - h0,
        seconds: elapsed,
        server_cpu_pct: (100 * (cpu.user + cpu.system)) / 1e6 / opt.seconds,
        bytes_per_s: bytes / opt.seconds,
        client_to_server_bytes_per_s: (clientBytes() - cb0) / opt.seconds,
      });
    }
  } else if (opt.scenario === "scale") {
    const settleMs = 1000 * Math.min(0.5, Math.max(0.1, opt.seconds)); // as in the C programs
    await sleep(settleMs / 2);
    gc();
    const rss0 = process.memoryUsage().rss;
    const t0 = now();
    procs.forEach((c) => c.send({ cmd: "connect" }));
    await until(() => joined === opt.clients, "scale connect");
    const connect = now() - t0;
    await sleep(settleMs);
    gc();
    const rss1 = process.memoryUsage().rss;
    const cpu0 = process.cpuUsage();
    const w0 = now();
    await sleep(opt.seconds * 1000);
    const cpu = process.cpuUsage(cpu0);
    const w1 = now();
    runs.push({
      connect_s: connect,
      rss_before: rss0,
      rss_after: rss1,
      rss_per_player: (rss1 - rss0) / opt.clients,
      cpu_us_per_s_per_player: (cpu.user + cpu.system) / (w1 - w0) / opt.clients,
      players: joined,
    });
  } else {
    fail(`unknown scenario ${opt.scenario}`);
  }
  console.log(JSON.stringify({ ...header, runs }));
  state.quitting = true;
  procs.forEach((c) => c.send({ cmd: "quit" }));
  await Promise.all(procs.map((c) => new Promise((r) => (c.exitCode !== null ? r() : c.on("exit", r)))));
  io.close();
  httpServer.close();
  process.exit(0);
}

main().catch((e) => fail(e && e.stack ? e.stack : String(e)));
