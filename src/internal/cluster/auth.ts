import * as HttpClient from "@effect/platform/HttpClient"
import * as HttpClientRequest from "@effect/platform/HttpClientRequest"
import * as HttpServerRequest from "@effect/platform/HttpServerRequest"
import * as HttpServerResponse from "@effect/platform/HttpServerResponse"
import * as SqlClient from "@effect/sql/SqlClient"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Redacted from "effect/Redacted"
import * as crypto from "node:crypto"
import { ClusterAuthError, ClusterError } from "../../ClusterError.js"

export const HEADER = "x-effect-parallel-auth"
export const WINDOW_MILLIS = 60_000

const sha256 = (data: Uint8Array | string): string => crypto.createHash("sha256").update(data).digest("base64url")

const hmac = (secret: Redacted.Redacted<string>, data: string): string =>
  crypto.createHmac("sha256", Redacted.value(secret)).update(data).digest("base64url")

const safeEqual = (a: string, b: string): boolean => {
  const x = Buffer.from(a)
  const y = Buffer.from(b)
  return x.length === y.length && crypto.timingSafeEqual(x, y)
}

const requestMac = (
  secret: Redacted.Redacted<string>,
  timestamp: string,
  nonce: string,
  method: string,
  path: string,
  bodyHash: string
) => hmac(secret, ["v1", timestamp, nonce, method, path, bodyHash].join("\n"))

const bodyBytes = (request: HttpClientRequest.HttpClientRequest): Uint8Array => {
  const body = request.body
  return body._tag === "Uint8Array" ? body.body : new Uint8Array(0)
}

/** Signs a request: a fresh timestamp and nonce, and an HMAC over them, the method, the path and the body. */
export const signRequest = (secret: Redacted.Redacted<string>) =>
(request: HttpClientRequest.HttpClientRequest): HttpClientRequest.HttpClientRequest => {
  const timestamp = String(Date.now())
  const nonce = crypto.randomBytes(16).toString("base64url")
  const path = new URL(request.url).pathname
  const mac = requestMac(secret, timestamp, nonce, request.method, path, sha256(bodyBytes(request)))
  return HttpClientRequest.setHeader(request, HEADER, `${timestamp}.${nonce}.${mac}`)
}

/**
 * An HttpClient that signs every request it sends, as it leaves: after every transformation later layers add
 * (the runner's address is prepended by the cluster's protocol, after this client is made).
 */
export const layerSigningClient = (secret: Redacted.Redacted<string>) =>
  Layer.effect(
    HttpClient.HttpClient,
    Effect.map(HttpClient.HttpClient, (client) => {
      const sign = signRequest(secret)
      return HttpClient.make((request) => client.execute(sign(request)))
    })
  )

/** Checks the header of an incoming request; remembers nonces for the window, so a captured request cannot be replayed. */
export const makeVerifier = (secret: Redacted.Redacted<string>) => {
  const seen = new Map<string, number>()
  let lastPrune = Date.now()
  const prune = (now: number) => {
    if (now - lastPrune < WINDOW_MILLIS / 4) return
    lastPrune = now
    for (const [nonce, at] of seen) if (now - at > 2 * WINDOW_MILLIS) seen.delete(nonce)
  }
  return (method: string, url: string, header: string | undefined, body: string): string | undefined => {
    if (header === undefined) return "missing authentication header"
    const [timestamp, nonce, mac, ...rest] = header.split(".")
    if (timestamp === undefined || nonce === undefined || mac === undefined || rest.length > 0) {
      return "malformed authentication header"
    }
    const now = Date.now()
    const at = Number(timestamp)
    if (!Number.isFinite(at) || Math.abs(now - at) > WINDOW_MILLIS) return "stale or future timestamp"
    const path = new URL(url, "http://localhost").pathname
    if (!safeEqual(mac, requestMac(secret, timestamp, nonce, method, path, sha256(body)))) {
      return "bad signature (wrong secret?)"
    }
    prune(now)
    if (seen.has(nonce)) return "replayed request"
    seen.set(nonce, now)
    return undefined
  }
}

/** HTTP server middleware: requests without a valid signature get 401 and never reach the runner. */
export const middleware = (secret: Redacted.Redacted<string>) => {
  const verify = makeVerifier(secret)
  return <E, R>(
    app: Effect.Effect<HttpServerResponse.HttpServerResponse, E, R>
  ): Effect.Effect<HttpServerResponse.HttpServerResponse, E, R | HttpServerRequest.HttpServerRequest> =>
    Effect.gen(function*() {
      const request = yield* HttpServerRequest.HttpServerRequest
      // The RPC server reads the body as text (ndjson), which the request caches, so it can be read here too.
      const body = yield* Effect.orElseSucceed(request.text, () => "")
      const header = request.headers[HEADER]
      const reason = verify(request.method, request.url, header, body)
      if (reason !== undefined) {
        yield* Effect.logWarning(`refused a request from ${request.remoteAddress._tag === "Some" ? request.remoteAddress.value : "?"}: ${reason}`)
        return HttpServerResponse.unsafeJson(new ClusterAuthError({ reason }), { status: 401 })
      }
      return yield* app
    })
}

/** The MAC a job carries from its client to the runner that runs it (the storage is not trusted with jobs). */
/** A short digest of a job's task (its tag and encoded form), part of its id. */
export const digest = (tag: string, task: string): string => sha256([tag, task].join("\n")).slice(0, 16)

export const jobMac = (secret: Redacted.Redacted<string>, id: string, tag: string, task: string): string =>
  hmac(secret, ["job", id, tag, sha256(task)].join("\n"))

export const verifyJobMac = (
  secret: Redacted.Redacted<string>,
  id: string,
  tag: string,
  task: string,
  mac: string
): boolean => safeEqual(mac, jobMac(secret, id, tag, task))

/** The MAC of a job's reply, checked by the client: results cannot be forged on the wire or in storage. */
export const replyMac = (secret: Redacted.Redacted<string>, id: string, node: string, exit: string): string =>
  hmac(secret, ["reply", id, node, sha256(exit)].join("\n"))

export const verifyReplyMac = (
  secret: Redacted.Redacted<string>,
  id: string,
  node: string,
  exit: string,
  mac: string
): boolean => safeEqual(mac, replyMac(secret, id, node, exit))

const scrypt = (secret: Redacted.Redacted<string>, salt: string) =>
  Effect.async<string>((resume) => {
    crypto.scrypt(Redacted.value(secret), salt, 32, (error, key) =>
      resume(error === null ? Effect.succeed(key.toString("base64url")) : Effect.die(error)))
  })

/**
 * Checks the secret against the verifier kept in storage (a salted scrypt hash, never the secret). The
 * first runner to use a storage sets it (`create`); clients never create it.
 */
export const checkSecret = (secret: Redacted.Redacted<string>, options: { readonly create: boolean; readonly prefix: string }) =>
  Effect.gen(function*() {
    const sql = yield* SqlClient.SqlClient
    const table = sql(`${options.prefix}_auth`)
    yield* sql`CREATE TABLE IF NOT EXISTS ${table} (id INTEGER PRIMARY KEY, salt TEXT NOT NULL, verifier TEXT NOT NULL)`
    let rows = yield* sql<{ salt: string; verifier: string }>`SELECT salt, verifier FROM ${table} WHERE id = 1`
    if (rows.length === 0) {
      if (!options.create) return false
      const salt = crypto.randomBytes(16).toString("base64url")
      const verifier = yield* scrypt(secret, salt)
      yield* sql`INSERT INTO ${table} (id, salt, verifier) VALUES (1, ${salt}, ${verifier}) ON CONFLICT (id) DO NOTHING`
      rows = yield* sql<{ salt: string; verifier: string }>`SELECT salt, verifier FROM ${table} WHERE id = 1`
    }
    const row = rows[0]!
    const candidate = yield* scrypt(secret, row.salt)
    if (!safeEqual(candidate, row.verifier)) {
      return yield* new ClusterAuthError({ reason: "wrong secret: it does not match the cluster's" })
    }
    return true
  }).pipe(
    Effect.catchTag("SqlError", (error) => Effect.die(error))
  )

/**
 * Records the cluster-wide settings in storage on first use and refuses a node whose settings differ (nodes
 * with different shard counts would disagree on which runner owns a job).
 */
export const checkSettings = (settings: Readonly<Record<string, string>>, options: { readonly prefix: string }) =>
  Effect.gen(function*() {
    const sql = yield* SqlClient.SqlClient
    const table = sql(`${options.prefix}_settings`)
    yield* sql`CREATE TABLE IF NOT EXISTS ${table} (name VARCHAR(255) PRIMARY KEY, value TEXT NOT NULL)`
    for (const [name, value] of Object.entries(settings)) {
      yield* sql`INSERT INTO ${table} (name, value) VALUES (${name}, ${value}) ON CONFLICT (name) DO NOTHING`
      const rows = yield* sql<{ value: string }>`SELECT value FROM ${table} WHERE name = ${name}`
      const stored = rows[0]?.value
      if (stored !== undefined && stored !== value) {
        return yield* new ClusterError({ reason: `${name} is ${value} here but ${stored} in the cluster: it must be the same on every node` })
      }
    }
  }).pipe(Effect.catchTag("SqlError", (error) => Effect.die(error)))
