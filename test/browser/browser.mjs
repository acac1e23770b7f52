// Debian's chromium, headless, through Playwright (playwright-core: no
// browser download), trusting exactly the console's key (not every
// certificate): what every browser test here starts.
import crypto from 'node:crypto';
import fs from 'node:fs';
import { chromium } from 'playwright-core';

// The base64 SHA-256 of the certificate's public key (chromium's SPKI pin).
export function spkiHash(certFile) {
  const cert = new crypto.X509Certificate(fs.readFileSync(certFile));
  const der = cert.publicKey.export({ type: 'spki', format: 'der' });
  return crypto.createHash('sha256').update(der).digest('base64');
}

// Launches chromium trusting the console certificate in `certFile`.
export function launchChromium(certFile) {
  return chromium.launch({
    executablePath: '/usr/bin/chromium',
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
           '--disable-background-networking', '--disable-component-update', '--disable-sync',
           '--ignore-certificate-errors-spki-list=' + spkiHash(certFile)],
  });
}
