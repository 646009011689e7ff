import { existsSync } from 'node:fs';

/**
 * The Chromium binary the browser tests drive with playwright-core (`chromium.launch({
 * executablePath })`, no browser download): `CHROMIUM_PATH`, else Debian's `chromium`, which
 * `npm run stack` (tools/stack/setup.mjs) installs when missing. Throws saying so when there is none.
 */
export function chromiumExecutablePath(): string {
  const candidates = [
    process.env['CHROMIUM_PATH'],
    '/usr/bin/chromium',
    '/usr/bin/chromium-browser',
  ];
  const found = candidates.find(
    (path): path is string => Boolean(path) && existsSync(path as string),
  );
  if (!found) {
    throw new Error(
      "no Chromium for the browser tests: install Debian's chromium (`npm run stack` does) or set CHROMIUM_PATH",
    );
  }
  return found;
}
