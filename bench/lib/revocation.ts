/**
 * Revocation measurements.
 *
 * `revokeUnderLoad()`: `loopers` concurrent clients call `GET /api/v4/users/me` with one personal
 * access token back to back; after `beforeMs` another client revokes the token; the loopers go on
 * for `afterMs` after the revoke answer arrived. Every probe records when it started, so the
 * result says how many requests that started after the revoke answer were accepted (the property:
 * zero), besides how many were accepted before and refused after.
 *
 * `revocationLatency()`: through a second app (remote resolver + signed-event receiver) in front
 * of the mock: create a token, use it once on the app (cached there), revoke it on the mock, then
 * probe the app back to back until it refuses: the time from the revoke answer to the first
 * refusal, and the requests the app still accepted in between.
 *
 * @example
 * ```ts
 * const r = await revokeUnderLoad({ url: mock.url, admin, token: pat.token, tokenId: pat.id, loopers: 20, beforeMs: 300, afterMs: 300 });
 * r.acceptedAfterRevoke; // 0
 * ```
 */
import { performance } from 'node:perf_hooks';
import { createPat, httpClient, revokePat, type HttpClient, type ProbeResult } from './http.js';

export interface RevokeUnderLoadOptions {
  /** Base URL of the mock server. */
  url: string;
  /** Session token allowed to revoke the token (e.g. sysadmin's login). */
  admin: string;
  token: string;
  tokenId: string;
  loopers: number;
  /** Load before the revoke is sent. */
  beforeMs: number;
  /** Load after the revoke answer arrived. */
  afterMs: number;
  /** Endpoint the loopers call. Default `/api/v4/users/me`. */
  path?: string;
}

export interface RevokeUnderLoadResult {
  /** `performance.now()` when the revoke answer arrived. */
  revokedAt: number;
  requests: number;
  /** 200s of requests that started before the revoke answer arrived. */
  acceptedBefore: number;
  /** 200s of requests that started after it: must be zero. */
  acceptedAfterRevoke: number;
  /** 401s of requests that started after it. */
  refusedAfter: number;
  /** Requests that started after it and got neither 200 nor 401 (errors). */
  otherAfter: number;
  /** Requests started before and answered after the revoke answer, and accepted (allowed: they raced it). */
  inFlightAccepted: number;
  /** 401s of requests that started before the revoke answer (the revoke took effect before its answer arrived). */
  refusedBefore: number;
  /** Requests that started before the revoke answer and got neither 200 nor 401 (errors). */
  otherBefore: number;
  /** ms from the revoke answer to the first 401 among requests started after it (NaN when none). */
  firstRefusalMs: number;
}

/** Load with a token while revoking it; see the module documentation. */
export async function revokeUnderLoad(options: RevokeUnderLoadOptions): Promise<RevokeUnderLoadResult> {
  const { url, admin, token, tokenId, loopers, beforeMs, afterMs, path = '/api/v4/users/me' } = options;
  const load = httpClient(url, loopers);
  const revoker = httpClient(url, 1);
  const probes: ProbeResult[] = [];
  let revokedAt = Infinity;
  let stopAt = Infinity;
  let failure: unknown;
  // Each looper runs until `stopAt` and has started at least one request after the revoke
  // answer, so every run tests the property even on a machine too slow for `afterMs`.
  const loop = async () => {
    let startedAfter = false;
    while (failure === undefined && (performance.now() < stopAt || !startedAfter)) {
      startedAfter = performance.now() >= revokedAt;
      try {
        probes.push(await load.request('GET', path, token));
      } catch (err) {
        failure = err;
        return;
      }
    }
  };
  const revoke = async () => {
    await new Promise((resolve) => setTimeout(resolve, beforeMs));
    const res = await revokePat(revoker, admin, tokenId);
    revokedAt = res.head;
    stopAt = revokedAt + afterMs;
  };
  try {
    await Promise.all([revoke().catch((err: unknown) => { failure = err; stopAt = 0; }), ...Array.from({ length: loopers }, loop)]);
  } finally {
    load.close();
    revoker.close();
  }
  if (failure !== undefined) throw failure;
  const after = probes.filter((p) => p.start >= revokedAt);
  const before = probes.filter((p) => p.start < revokedAt);
  const refusals = after.filter((p) => p.status === 401).map((p) => p.head - revokedAt);
  return {
    revokedAt,
    requests: probes.length,
    acceptedBefore: before.filter((p) => p.status === 200).length,
    acceptedAfterRevoke: after.filter((p) => p.status === 200).length,
    refusedAfter: refusals.length,
    otherAfter: after.filter((p) => p.status !== 200 && p.status !== 401).length,
    inFlightAccepted: before.filter((p) => p.status === 200 && p.head >= revokedAt).length,
    refusedBefore: before.filter((p) => p.status === 401).length,
    otherBefore: before.filter((p) => p.status !== 200 && p.status !== 401).length,
    firstRefusalMs: refusals.length > 0 ? Math.min(...refusals) : NaN,
  };
}

export interface RevocationLatencyOptions {
  /** The mock (where tokens are created and revoked). */
  mockUrl: string;
  /** The second app (remote resolver against the mock, event receiver wired to the mock's webhook). */
  appUrl: string;
  admin: string;
  revocations: number;
  /** Give up on one revocation after this long. Default 5000 ms. */
  timeoutMs?: number;
}

export interface RevocationSample {
  /** ms from the revoke answer (at the client) to the first 401 from the second app. */
  latencyMs: number;
  /** Requests started after the revoke answer that the second app still accepted. */
  acceptedAfter: number;
}

/** Revoke-return → first refusal through a second app; see the module documentation. */
export async function revocationLatency(options: RevocationLatencyOptions): Promise<RevocationSample[]> {
  const { mockUrl, appUrl, admin, revocations, timeoutMs = 5_000 } = options;
  const mock: HttpClient = httpClient(mockUrl, 1);
  const app: HttpClient = httpClient(appUrl, 1);
  const samples: RevocationSample[] = [];
  try {
    for (let i = 0; i < revocations; i++) {
      const pat = await createPat(mock, admin, `latency ${i}`);
      const warm = await app.request('GET', '/', pat.token);
      if (warm.status !== 200) throw new Error(`second app refused a fresh token: ${warm.status} ${warm.body}`);
      const revokedAt = (await revokePat(mock, admin, pat.id)).head;
      let acceptedAfter = 0;
      for (;;) {
        const probe = await app.request('GET', '/', pat.token);
        if (probe.status === 401) { samples.push({ latencyMs: probe.head - revokedAt, acceptedAfter }); break; }
        if (probe.status !== 200) throw new Error(`second app answered ${probe.status}: ${probe.body}`);
        acceptedAfter++;
        if (probe.head - revokedAt > timeoutMs) throw new Error(`second app still accepts a token revoked ${timeoutMs} ms ago`);
      }
    }
  } finally {
    mock.close();
    app.close();
  }
  return samples;
}
