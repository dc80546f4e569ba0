/**
 * Free ports for nodes that bind them later (`raftkit init` writes them into the cluster file):
 * chosen outside the range the OS hands out for port 0 and for outgoing connections, so that
 * between the choice and the node's start no other process's connection or port-0 listener
 * takes one (which would end that node's start with EADDRINUSE). Each candidate is checked by
 * binding it, then released.
 */
import { readFileSync } from 'node:fs'
import { createServer } from 'node:net'

/** Where chosen ports come from, when the OS's own range leaves it alone. */
const LOW = 10_000
const HIGH = 32_767
const ATTEMPTS = 50

/**
 * The OS's ephemeral port range: Linux's /proc/sys/net/ipv4/ip_local_port_range, else the
 * IANA range (macOS, Windows and the BSDs use 49152-65535 by default).
 */
export function ephemeralPortRange(): { readonly low: number; readonly high: number } {
  try {
    const m = /^\s*(\d+)\s+(\d+)\s*$/.exec(
      readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8'),
    )
    if (m) return { low: Number(m[1]), high: Number(m[2]) }
  } catch {
    // not Linux
  }
  return { low: 49_152, high: 65_535 }
}

/** Binds `port` on `host` exclusively and releases it: the bound port, or the bind error. */
function tryBind(host: string, port: number): Promise<number | Error> {
  return new Promise((resolvePort) => {
    const server = createServer()
    server.unref()
    server.once('error', (e) => resolvePort(e))
    server.listen({ host, port, exclusive: true }, () => {
      const address = server.address()
      const bound = typeof address === 'object' && address ? address.port : 0
      server.close(() => resolvePort(bound))
    })
  })
}

/**
 * A port of `host` that is free now, for a node to bind later: a random one in 10000-32767 that
 * is not in the OS's ephemeral range (see the module comment), checked by binding it; when that
 * range leaves no such port or 50 candidates are taken, a port the OS picks (port 0). Rejects
 * with the bind error when `host` cannot be bound at all.
 */
export async function freePort(host = '127.0.0.1'): Promise<number> {
  const { low, high } = ephemeralPortRange()
  const candidates: number[] = []
  for (let p = LOW; p <= HIGH; p++) if (p < low || p > high) candidates.push(p)
  for (let i = 0; i < ATTEMPTS && candidates.length > 0; i++) {
    const port = candidates[Math.floor(Math.random() * candidates.length)] as number
    const r = await tryBind(host, port)
    if (typeof r === 'number') return r
  }
  const any = await tryBind(host, 0)
  if (typeof any === 'number') return any
  throw any
}
