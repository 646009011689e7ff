// Preloaded by the local runners (npm start, the e2e helper) only, never in images: when the
// process that spawned this app goes away without stopping it (Ctrl-C on a crashed runner, a
// SIGKILLed Jest worker), the app gets SIGTERM itself, so no orphan keeps a port or a database.
'use strict';
const parent = process.ppid;
const timer = setInterval(() => {
  if (process.ppid === parent) {
    return;
  }
  clearInterval(timer);
  process.kill(process.pid, 'SIGTERM');
  // Graceful shutdown gets a few seconds; then leave regardless.
  setTimeout(() => process.exit(1), 5_000).unref();
}, 500);
timer.unref();
