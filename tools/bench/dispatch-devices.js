// Forked by the dispatch bench (dispatch.bench.ts): the officers' devices, and the bare
// baseline's clients, in a process of their own. It loads only socket.io-client and the built
// @gad/client (no ts-node, no TypeScript compiler), so its garbage collections stay short, and
// none of the measuring process's pauses delay a device. Times are CLOCK_MONOTONIC (libuv's
// hrtime), one clock for every process on the machine; the bench converts them to its own.
//
// Messages from the bench: { type: 'bare', url, count } (plain socket.io clients that answer each
// `command` with an `ack`), { type: 'field', url, tokens } (@gad/client field connections that
// report each command's arrival and accept it), { type: 'close' }. To the bench: { type: 'ready' },
// { type: 'connected', ok, failed }, { type: 'command', assignmentId, commandId, at }, { type: 'closed' }.
'use strict';
require('../scripts/register-paths.js');
const { connectField } = require('@gad/client');
const { io } = require('socket.io-client');

const hrNow = () => Number(process.hrtime.bigint()) / 1e6;
const BATCH = 200;
let open = [];

/** Opens `count` connections, `BATCH` handshakes at a time. */
async function connectAll(count, connectOne) {
  let ok = 0;
  let failed = 0;
  for (let start = 0; start < count; start += BATCH) {
    const batch = Array.from({ length: Math.min(BATCH, count - start) }, (_, k) => start + k);
    const results = await Promise.allSettled(batch.map(connectOne));
    for (const result of results) {
      if (result.status === 'fulfilled') {
        open.push(result.value);
        ok += 1;
      } else {
        failed += 1;
      }
    }
  }
  process.send({ type: 'connected', ok, failed });
}

function connectBare(url, count) {
  return connectAll(
    count,
    (i) =>
      new Promise((resolve, reject) => {
        const socket = io(url, {
          transports: ['websocket'],
          auth: { unit: `unit-${i}` },
          reconnection: false,
        });
        socket.on('command', (command) => socket.emit('ack', command.id));
        socket.once('connect', () => resolve({ close: () => socket.disconnect() }));
        socket.once('connect_error', reject);
      }),
  );
}

function connectDevices(url, tokens) {
  const seen = new Set();
  return connectAll(
    tokens.length,
    (i) =>
      new Promise((resolve, reject) => {
        const device = connectField({
          url,
          token: tokens[i],
          transports: ['websocket'],
          onCommand: (command) => {
            if (!command.assignmentId || seen.has(command.assignmentId)) return;
            seen.add(command.assignmentId);
            const at = hrNow();
            process.send({
              type: 'command',
              assignmentId: command.assignmentId,
              commandId: command.commandId,
              at,
            });
            void device.ack(command.commandId, 'accepted').catch(() => undefined);
          },
        });
        device.socket.once('connect', () => resolve(device));
        device.socket.once('connect_error', reject);
      }),
  );
}

process.on('message', (message) => {
  if (message.type === 'bare') void connectBare(message.url, message.count);
  else if (message.type === 'field') void connectDevices(message.url, message.tokens);
  else if (message.type === 'close') {
    open.forEach((connection) => connection.close());
    open = [];
    process.send({ type: 'closed' });
  }
});
process.on('disconnect', () => process.exit(0));
process.send({ type: 'ready' });
