// client.js - one process holding a group of socket.io clients for bench.js; does the
// client side of each scenario with emit / emitWithAck. Never measures the server side.
"use strict";
const { io } = require("socket.io-client");

const ARGS = {
  jump: ["jump", 150],
  table: [{ name: "Alice", gold: 1200, level: 7 }],
};
const FIRE_CHUNK = 1024;

let sockets = [];
let cfg = null;
let fired = [];
let credit = []; // events the server reports handled, per local client
let targetRounds = 0;

const now = () => Number(process.hrtime.bigint()) / 1e9;
const bytesSent = () =>
  sockets.reduce((sum, s) => {
    const raw = s.io.engine && s.io.engine.transport && s.io.engine.transport.ws;
    return sum + (raw && raw._socket ? raw._socket.bytesWritten : 0);
  }, 0);

function connectAll() {
  let joined = 0;
  for (let i = 0; i < cfg.count; i++) {
    const s = io(`http://127.0.0.1:${cfg.port}`, {
      transports: ["websocket"],
      auth: { index: cfg.first + i },
      reconnection: false,
      forceNew: true,
    });
    s.received = 0;
    s.on("event", () => {
      s.received++;
    });
    s.once("connect", () => {
      joined++;
      if (joined === cfg.count) process.send({ ev: "ready", count: joined });
    });
    s.on("connect_error", (e) => {
      process.send({ ev: "error", message: String(e && e.message) });
    });
    sockets.push(s);
  }
  fired = new Array(cfg.count).fill(0);
  credit = new Array(cfg.count).fill(0);
}

function fireRun(run, seconds, window) {
  const args = ARGS[cfg.payload];
  const end = now() + seconds;
  const step = () => {
    if (now() >= end) {
      process.send({ ev: "done", run, fired: fired.reduce((a, b) => a + b, 0), bytes: bytesSent() });
      return;
    }
    let progressed = false;
    for (let i = 0; i < sockets.length; i++) {
      let room = window - (fired[i] - credit[i]);
      if (room > FIRE_CHUNK) room = FIRE_CHUNK;
      for (let k = 0; k < room; k++) sockets[i].emit("fire", ...args);
      if (room > 0) {
        fired[i] += room;
        progressed = true;
      }
    }
    // Yield to the event loop so the writes go out and credits come in.
    if (progressed) setImmediate(step);
    else setTimeout(step, 1);
  };
  step();
}

function broadcastRun(run) {
  const report = setInterval(() => {
    let min = Infinity;
    for (const s of sockets) min = Math.min(min, s.received);
    process.send({ ev: "progress", min });
    if (targetRounds > 0 && min >= targetRounds) {
      clearInterval(report);
      process.send({ ev: "done", run, bytes: bytesSent() });
    }
  }, 5);
}

async function invokeRun(run, seconds) {
  const s = sockets[0];
  const samples = [];
  let end = now() + seconds / 2;
  while (now() < end) {
    const t0 = process.hrtime.bigint();
    await s.emitWithAck("invoke", "jump", 150);
    samples.push(Number(process.hrtime.bigint() - t0));
  }
  samples.sort((a, b) => a - b);
  const p50 = samples[Math.floor(samples.length / 2)];
  const p99 = samples[Math.floor((samples.length * 99) / 100)];
  let completed = 0;
  let stop = false;
  const start = now();
  end = start + seconds / 2;
  await new Promise((resolve) => {
    let inFlight = 0;
    const launch = () => {
      inFlight++;
      s.emitWithAck("invoke", "jump", 150).then(() => {
        inFlight--;
        if (!stop) {
          completed++;
          if (now() >= end) stop = true;
          else launch();
        }
        if (stop && inFlight === 0) resolve();
      });
    };
    for (let k = 0; k < 64; k++) launch();
  });
  const elapsed = now() - start;
  process.send({ ev: "done", run, p50, p99, completed, elapsed, bytes: bytesSent() });
}

function burstRun(run, seconds) {
  const s = sockets[0];
  const args = ARGS[cfg.payload];
  const frames = Math.round(seconds * 60);
  const start = now();
  let f = 0;
  const frame = () => {
    for (let k = 0; k < 1000; k++) s.emit("fire", ...args);
    fired[0] += 1000;
    f++;
    if (f >= frames) {
      process.send({ ev: "done", run, fired: fired[0], bytes: bytesSent() });
      return;
    }
    const next = start + f / 60;
    setTimeout(frame, Math.max(0, (next - now()) * 1000));
  };
  frame();
}

process.on("message", (msg) => {
  switch (msg.cmd) {
    case "setup":
      cfg = msg;
      if (cfg.scenario !== "scale") connectAll();
      break;
    case "connect":
      connectAll();
      break;
    case "credit":
      for (let i = 0; i < sockets.length; i++) credit[i] = msg.counts[cfg.first + i] || 0;
      break;
    case "target":
      targetRounds = msg.target;
      break;
    case "run":
      targetRounds = 0;
      if (cfg.scenario === "fire") fireRun(msg.run, msg.seconds, msg.window);
      else if (cfg.scenario === "broadcast") broadcastRun(msg.run);
      else if (cfg.scenario === "invoke") invokeRun(msg.run, msg.seconds);
      else if (cfg.scenario === "burst") burstRun(msg.run, msg.seconds);
      break;
    case "quit":
      for (const s of sockets) s.disconnect();
      setTimeout(() => process.exit(0), 50);
      break;
  }
});
