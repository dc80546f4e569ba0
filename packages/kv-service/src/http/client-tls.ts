/**
 * The `tls` option of the two KvClient networks, HttpKvRpc and WsKvRpc (WsKvRpc is a drop-in
 * for HttpKvRpc with the same TLS options): its type, and the connect options it becomes for
 * undici and node:tls. A pure leaf.
 */

/** What a client trusts when it speaks HTTPS / wss. */
export interface KvRpcTlsOption {
  /** The PEM CA certificate(s) to trust (the cluster's `tls.caFile`); absent: the system's. */
  readonly ca?: string | Buffer | ReadonlyArray<string | Buffer>
}

/** The connect options for `tls`: its CA certificate(s), if any (undefined: the system's). */
export function tlsConnectOptions(
  tls: KvRpcTlsOption | undefined,
): { ca: string | Buffer | Array<string | Buffer> } | undefined {
  const ca = tls?.ca
  return ca === undefined
    ? undefined
    : { ca: typeof ca === 'string' || Buffer.isBuffer(ca) ? ca : [...ca] }
}
