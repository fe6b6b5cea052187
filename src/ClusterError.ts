/**
 * The errors of cluster mode (`effect-parallel serve` runners and the cluster `JobServer`).
 *
 * Both are `Schema.TaggedError`s, so they cross process and machine boundaries
 * typed: a runner that refuses a request answers with a `ClusterAuthError` in
 * the body of its 401 response, and an entity that refuses a job replies with
 * one through storage.
 *
 * @since 0.1.0
 */
import * as Schema from "effect/Schema"

/**
 * A node does not know the cluster's shared secret: a runner or a client whose
 * secret does not match the verifier in the cluster's storage, a request to a
 * runner's port without a valid HMAC signature, or a job whose signature does
 * not match. Nothing runs on behalf of a node that gets this error.
 *
 * @since 0.1.0
 * @category errors
 */
export class ClusterAuthError extends Schema.TaggedError<ClusterAuthError>("effect-parallel/ClusterAuthError")(
  "ClusterAuthError",
  {
    /** Why the node was refused, in words (never the secret). */
    reason: Schema.String
  }
) {
  override get message(): string {
    return `cluster authentication failed: ${this.reason}`
  }
}

/**
 * A cluster node could not start or keep running: its storage cannot be
 * reached, its port cannot be bound, its tasks module cannot be loaded, or no
 * runner became ready in time.
 *
 * @since 0.1.0
 * @category errors
 */
export class ClusterError extends Schema.TaggedError<ClusterError>("effect-parallel/ClusterError")(
  "ClusterError",
  {
    /** What went wrong, in words. */
    reason: Schema.String
  }
) {
  override get message(): string {
    return `cluster error: ${this.reason}`
  }
}
