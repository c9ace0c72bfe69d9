import { createServer } from 'node:net';

/** Try to listen on host:port; resolves null when free, else the error code (e.g. EADDRINUSE). */
export function tryBind(port: number, host = '0.0.0.0'): Promise<string | null> {
  return new Promise((resolve) => {
    const srv = createServer();
    srv.unref();
    srv.once('error', (e: NodeJS.ErrnoException) => resolve(e.code ?? e.message));
    srv.listen({ port, host, exclusive: true }, () => srv.close(() => resolve(null)));
  });
}

/** Can a server bind `port` on all interfaces right now? */
export async function isPortFree(port: number, host = '0.0.0.0'): Promise<boolean> {
  return (await tryBind(port, host)) === null;
}

/** A port the OS considers free (bound once on port 0, then released). */
export function pickFreePort(host = '0.0.0.0'): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.unref();
    srv.once('error', reject);
    srv.listen({ port: 0, host }, () => {
      const a = srv.address();
      const port = typeof a === 'object' && a ? a.port : 0;
      srv.close(() => resolve(port));
    });
  });
}
