export type { AllowList } from "./allow-list.js";
export { AllowListError, parseAllowList } from "./allow-list.js";
export type { CheckedAddress, Refusal, RefusalCode, Verdict } from "./destination.js";
export { describeConnectError } from "./errors.js";
export type { PinnedPostArgs } from "./pinned.js";
export { pinnedLookup, pinnedPost } from "./pinned.js";
export type {
  CheckOptions,
  ImapSettings,
  OutboundKind,
  OutboundPolicy,
  OutboundPolicyOptions,
  TenantAllow,
  UrlVerdict,
} from "./policy.js";
export { createOutboundPolicy } from "./policy.js";
export type { Resolve, ResolvedAddress, ResolverOptions } from "./resolver.js";
export { createResolver, resolverFromLookup } from "./resolver.js";
