import { isIP } from 'node:net';

/**
 * Local servers listen on loopback only ("nothing listens on anything but loopback locally").
 * Throws for any other host, so a typo cannot expose the emulator to the network.
 */
export function assertLoopbackHost(host: string): void {
  const bare = host.replace(/^\[|\]$/g, '');
  const loopback = bare === 'localhost' || bare === '::1' || (isIP(bare) === 4 && bare.startsWith('127.'));
  if (!loopback) throw new RangeError(`refusing to listen on ${host}: only loopback hosts (127.0.0.0/8, ::1, localhost) are allowed`);
}
