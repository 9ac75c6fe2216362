/**
 * Node modules the web side needs only when it is configured: TLS (https, tls and the crypto under
 * them) and basic authentication (crypto, a worker thread for bcrypt). Required on first use, so
 * a daemon serving plain HTTP without users never loads them (~1.5 MB of resident memory: the
 * modules' code and the parts of the node binary they touch).
 */
import { createRequire } from 'node:module';
import type * as Crypto from 'node:crypto';
import type * as Https from 'node:https';
import type * as Tls from 'node:tls';
import type * as WorkerThreads from 'node:worker_threads';

const require = createRequire(import.meta.url);

export const crypto = (): typeof Crypto => require('node:crypto') as typeof Crypto;
export const https = (): typeof Https => require('node:https') as typeof Https;
export const tls = (): typeof Tls => require('node:tls') as typeof Tls;
export const workerThreads = (): typeof WorkerThreads => require('node:worker_threads') as typeof WorkerThreads;
