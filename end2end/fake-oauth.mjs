// A tiny stand-in for GitHub's OAuth web flow, for the browser specs: a consent page with
// "Authorize" and "Cancel", the token endpoint (JSON with `Accept: application/json`, single-use
// codes bound to client, redirect URI and an S256 PKCE challenge), and `GET /user`.
//
// Started by tests/oauth.test.mjs on OAUTH_FAKE_PORT (default 3939); or by hand:
//   node end2end/fake-oauth.mjs
// The app must then run with:
//   OAUTH_GITHUB_CLIENT_ID=e2e-client OAUTH_GITHUB_CLIENT_SECRET=e2e-secret
//   OAUTH_GITHUB_AUTH_URL=http://127.0.0.1:3939/login/oauth/authorize
//   OAUTH_GITHUB_TOKEN_URL=http://127.0.0.1:3939/login/oauth/access_token
//   OAUTH_GITHUB_USERINFO_URL=http://127.0.0.1:3939/user
import http from 'node:http';
import crypto from 'node:crypto';
import { pathToFileURL } from 'node:url';

export const CLIENT_ID = 'e2e-client';
export const CLIENT_SECRET = 'e2e-secret';
export const FAKE_PORT = Number(process.env.OAUTH_FAKE_PORT || 3939);

const escape = (s) => String(s).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

async function readForm(req) {
  let body = '';
  for await (const chunk of req) body += chunk;
  return new URLSearchParams(body);
}

function send(res, status, type, body, headers = {}) {
  res.writeHead(status, { 'content-type': type, ...headers });
  res.end(body);
}

const json = (res, status, value) => send(res, status, 'application/json', JSON.stringify(value));

function back(redirectUri, params) {
  const url = new URL(redirectUri);
  for (const [k, v] of Object.entries(params)) url.searchParams.set(k, v);
  return url.toString();
}

/** Starts the fake; resolves to `{ url, setPerson(person), close() }`. */
export function startFakeOAuth({ port = FAKE_PORT, host = '127.0.0.1' } = {}) {
  const grants = new Map();
  const tokens = new Map();
  let person = { id: 4242, login: 'octo', name: 'Octo Cat' };

  const server = http.createServer(async (req, res) => {
    const url = new URL(req.url, `http://${host}:${port}`);
    try {
      if (req.method === 'GET' && url.pathname === '/login/oauth/authorize') {
        const q = url.searchParams;
        if (q.get('client_id') !== CLIENT_ID || !q.get('redirect_uri') || !q.get('state')) {
          return send(res, 400, 'text/plain', 'bad authorize request');
        }
        const hidden = ['client_id', 'redirect_uri', 'state', 'code_challenge', 'code_challenge_method']
          .map((k) => `<input type="hidden" name="${k}" value="${escape(q.get(k) ?? '')}">`).join('');
        return send(res, 200, 'text/html; charset=utf-8', `<!doctype html><html><head><title>Authorize</title>
          <link rel="icon" href="data:,"></head><body><h1>Authorize Xuecheng?</h1>
          <form method="post" action="/login/oauth/decide">${hidden}
          <button name="decision" value="allow" id="authorize">Authorize</button>
          <button name="decision" value="deny" id="cancel">Cancel</button></form></body></html>`);
      }
      if (req.method === 'POST' && url.pathname === '/login/oauth/decide') {
        const f = await readForm(req);
        if (f.get('decision') !== 'allow') {
          return send(res, 303, 'text/plain', '', {
            location: back(f.get('redirect_uri'), {
              error: 'access_denied',
              error_description: 'The user has denied your application access.',
              state: f.get('state'),
            }),
          });
        }
        const code = crypto.randomBytes(10).toString('hex');
        grants.set(code, {
          person: { ...person },
          redirectUri: f.get('redirect_uri'),
          challenge: f.get('code_challenge'),
          method: f.get('code_challenge_method'),
          used: false,
        });
        return send(res, 303, 'text/plain', '', { location: back(f.get('redirect_uri'), { code, state: f.get('state') }) });
      }
      if (req.method === 'POST' && url.pathname === '/login/oauth/access_token') {
        const f = await readForm(req);
        if (f.get('client_id') !== CLIENT_ID || f.get('client_secret') !== CLIENT_SECRET) {
          return json(res, 200, { error: 'incorrect_client_credentials' });
        }
        const grant = grants.get(f.get('code') ?? '');
        if (!grant || grant.used) {
          return json(res, 200, { error: 'bad_verification_code', error_description: 'The code passed is incorrect or expired.' });
        }
        if (f.get('redirect_uri') && f.get('redirect_uri') !== grant.redirectUri) {
          return json(res, 200, { error: 'redirect_uri_mismatch' });
        }
        if (grant.challenge) {
          const verifier = f.get('code_verifier') ?? '';
          const computed = crypto.createHash('sha256').update(verifier).digest('base64url');
          if (grant.method !== 'S256' || computed !== grant.challenge) {
            return json(res, 200, { error: 'invalid_grant', error_description: 'PKCE verification failed.' });
          }
        }
        grant.used = true;
        const token = crypto.randomBytes(16).toString('hex');
        tokens.set(token, grant.person);
        return json(res, 200, { access_token: token, token_type: 'bearer', scope: 'read:user' });
      }
      if (req.method === 'GET' && url.pathname === '/user') {
        const token = (req.headers.authorization || '').replace(/^(Bearer|token) /, '');
        const who = tokens.get(token);
        if (!who) return json(res, 401, { message: 'Bad credentials' });
        return json(res, 200, { id: who.id, login: who.login, name: who.name, avatar_url: null });
      }
      return send(res, 404, 'text/plain', 'not found');
    } catch (err) {
      return send(res, 500, 'text/plain', String(err));
    }
  });

  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve({
      url: `http://${host}:${port}`,
      setPerson(p) { person = { ...p }; },
      close: () => new Promise((r) => server.close(() => r())),
    }));
  });
}

if (import.meta.url === pathToFileURL(process.argv[1] || '').href) {
  const fake = await startFakeOAuth();
  console.log(`fake GitHub OAuth listening on ${fake.url}`);
}
