// Asks GET <base>/healthz every 100 ms, in a process of its own so that what the benchmark's own
// process does meanwhile (building and sending a 14 MiB upload) is not counted as the server's
// delay. Ends when its stdin closes, printing one JSON line: {"samples":[{"at","ms"}],"failures"}
// where `at` is the start of the request in milliseconds since the epoch (performance.timeOrigin
// + performance.now(), comparable across processes).
// Usage: node bench/support/health-watch.mjs http://127.0.0.1:PORT
const base = process.argv[2];
let running = true;
let failures = 0;
const samples = [];
process.stdin.on('end', () => (running = false));
process.stdin.resume();
while (running) {
  const start = performance.now();
  try {
    const res = await fetch(`${base}/healthz`);
    await res.arrayBuffer();
    if (res.status !== 200) {
      failures++;
    }
  } catch {
    failures++;
  }
  samples.push({ at: performance.timeOrigin + start, ms: performance.now() - start });
  await new Promise((r) => setTimeout(r, 100));
}
process.stdout.write(`${JSON.stringify({ samples, failures })}\n`);
