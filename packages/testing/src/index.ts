export type { StartCourierOptions } from "./courier.js";
export { startCourier } from "./courier.js";
export { startCyrus } from "./cyrus.js";
export { debianServersUnavailable } from "./debian-root.js";
export type { ImapUser, StartDovecotOptions, TestClientOptions, TestDovecot } from "./dovecot.js";
export { startDovecot } from "./dovecot.js";
export { freePort } from "./free-port.js";
export type { HostileCorpusOptions, HostileMessage } from "./hostile-mail.js";
export { hostileCorpus } from "./hostile-mail.js";
export type { TestImapServer } from "./imap-server.js";
export { dovecotAsImapServer } from "./imap-server.js";
export type { MakeMailOptions } from "./make-mail.js";
export { makeMail } from "./make-mail.js";
export type {
  ReceivedRequest,
  ReceiverHandler,
  ReceiverResponse,
  StartReceiverOptions,
  TestReceiver,
} from "./receiver.js";
export { startReceiver } from "./receiver.js";
export type { TestRedis } from "./redis.js";
export { startRedis } from "./redis.js";
export type { TestRedisCluster } from "./redis-cluster.js";
export { startRedisCluster } from "./redis-cluster.js";
export type { TestRedisSentinel } from "./redis-sentinel.js";
export { startRedisSentinel } from "./redis-sentinel.js";
export type { TcpProxy } from "./tcp-proxy.js";
export { startTcpProxy } from "./tcp-proxy.js";
