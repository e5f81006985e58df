/**
 * The shipped service patterns (`tsad patterns list`), each tested against
 * real sample lines in fixtures/services/<name>.log. Templates are tried in
 * order: the more specific form ("for invalid user X") first.
 * SERVICE_PATTERNS_DISABLE switches any of them off by name.
 */
import type { ParseContext } from '../context.js';
import { builtIn, type PatternHit, type ServicePattern } from './pattern.js';
import { isExploitPath, parseAccessLine, type WebHit } from './web-access.js';

const SSHD = ['sshd', 'sshd-session'];
const POSTFIX = ['postfix/*'];
const DOVECOT = ['dovecot', 'auth', 'auth-worker', 'imap-login', 'pop3-login'];
const WEB = ['', 'nginx', 'apache2', 'httpd', 'apache', 'lighttpd'];

// One access line is tried by both web rules: parse it once.
let lastLine = '';
let lastHit: WebHit | null = null;
function accessLine(msg: string, ctx: ParseContext): WebHit | null {
  if (msg !== lastLine) {
    lastLine = msg;
    lastHit = parseAccessLine(msg, ctx);
  }
  return lastHit;
}

function webRule(test: (h: WebHit) => boolean): (msg: string, ctx: ParseContext, out: PatternHit) => boolean {
  return (msg, ctx, out) => {
    const h = accessLine(msg, ctx);
    if (h === null || !test(h)) return false;
    out.host = h.host;
    out.user = h.user;
    out.ts = h.ts;
    return true;
  };
}

export const BUILT_IN: readonly ServicePattern[] = [
  builtIn('sshd-invalid-user', 'sshd', 'invalid-user', SSHD, [
    'Invalid user <USER> from <HOST> port <*>',
    'Invalid user <USER> from <HOST>',
  ]),
  // A valid user's failed public keys are left out: a client with several keys logs them before
  // the one that works (and sshd logs them at INFO only from MaxAuthTries/2 failures on).
  builtIn('sshd-failed', 'sshd', 'failed-login', SSHD, [
    'Failed <*> for invalid user <USER> from <HOST> port <*>',
    'Failed password for <USER> from <HOST> port <*>',
    'Failed keyboard-interactive<*> for <USER> from <HOST> port <*>',
  ]),
  builtIn('sshd-preauth', 'sshd', 'preauth-close', SSHD, [
    'Connection closed by authenticating user <USER> <HOST> port <*>',
    'Connection closed by invalid user <USER> <HOST> port <*>',
    'Disconnected from authenticating user <USER> <HOST> port <*>',
    'Disconnected from invalid user <USER> <HOST> port <*>',
  ]),
  builtIn('sshd-max-auth', 'sshd', 'max-auth', SSHD, [
    'error: maximum authentication attempts exceeded for invalid user <USER> from <HOST> port <*>',
    'error: maximum authentication attempts exceeded for <USER> from <HOST> port <*>',
    'maximum authentication attempts exceeded for invalid user <USER> from <HOST> port <*>',
    'maximum authentication attempts exceeded for <USER> from <HOST> port <*>',
    'Disconnecting invalid user <USER> <HOST> port <*>: Too many authentication failures<*>',
    'Disconnecting authenticating user <USER> <HOST> port <*>: Too many authentication failures<*>',
  ]),
  builtIn('postfix-relay-denied', 'postfix', 'relay-denied', POSTFIX, [
    'NOQUEUE: reject: RCPT from <*>[<HOST>]<*>: Relay access denied<*>',
  ]),
  builtIn('postfix-sasl-failed', 'postfix', 'auth-failed', POSTFIX, [
    'warning: <*>[<HOST>]: SASL <*> authentication failed<*>, sasl_username=<USER>',
    'warning: <*>[<HOST>]: SASL <*> authentication failed<*>',
  ]),
  builtIn('postfix-lost-auth', 'postfix', 'lost-after-auth', POSTFIX, [
    'lost connection after AUTH from <*>[<HOST>]<*>',
  ]),
  builtIn('postfix-too-many-errors', 'postfix', 'too-many-errors', POSTFIX, [
    'too many errors after <*> from <*>[<HOST>]<*>',
  ]),
  builtIn('dovecot-auth-failed', 'dovecot', 'auth-failed', DOVECOT, [
    '<*>(auth failed, <*>): user=<<USER>>, <*>rip=<HOST>, lip=<*>',
    '<*>(auth failed, <*>): user=<<USER>>, <*>rip=<HOST>',
    '<*>(auth failed, <*>): <*>rip=<HOST>, lip=<*>',
    '<*>(auth failed, <*>): <*>rip=<HOST>',
  ]),
  builtIn('dovecot-pam-failed', 'dovecot', 'auth-failed', DOVECOT, [
    '<*>pam(<USER>,<HOST>,<*>): pam_authenticate() failed: <*>',
    '<*>pam(<USER>,<HOST>): pam_authenticate() failed: <*>',
  ]),
  {
    name: 'web-auth-failed', service: 'web', kind: 'auth-failed', programs: WEB, templates: [], origin: 'built-in',
    code: webRule((h) => h.status === 401),
  },
  {
    name: 'web-exploit-probe', service: 'web', kind: 'exploit-probe', programs: WEB, templates: [], origin: 'built-in',
    code: webRule((h) => (h.status === 404 || h.status === 403 || h.status === 400 || h.status === 444) && isExploitPath(h.path)),
  },
];

/** The services of the shipped patterns (each has its SERVICE_DL_<NAME> ladder). */
export const BUILT_IN_SERVICES: readonly string[] = ['sshd', 'postfix', 'dovecot', 'web'];
