/**
 * The only module that talks to the upstream. Every fetch, static target, probe module or `file:` URL, goes
 * through one client (`_client.ts`): one place decides redirects (`_redirect.ts`), status and size
 * (`_body.ts`), the transport (`_transport.ts`, `_node.ts`) and every error's bounded reason, an abort's
 * `timeout` included (`_errors.ts`). The answer is the body's bytes or an `UpstreamError`.
 *
 * @module
 */

export type {
  ClientContext,
  ClientFetchOptions,
  FetchOptions,
  FetchTimings,
  HopGuard,
  ReadLimits,
  UpstreamBody,
  UpstreamClient,
} from "./_types.ts";
export { UPSTREAM_ACCEPT } from "./_types.ts";
export { createUpstreamClient, fetchUpstream, PLAIN_CLIENT, plainClient } from "./_client.ts";
export { abortError, untilAborted } from "./_errors.ts";
export type { ByteBudget } from "./memory_budget.ts";
