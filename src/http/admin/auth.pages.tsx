/**
 * @module http/admin/auth.pages — sign in and sign out.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';

import { AppError } from '../../errors.ts';
import { authenticate, issueSession, revokeActorToken } from '../../services/auth.service.ts';
import type { AdminDeps } from './admin-deps.ts';
import { ErrorBox, Layout } from './layout.tsx';
import { signInAddress } from '../client-address.ts';
import { clearSessionCookie, PRE_CSRF_COOKIE, preSignInToken, sameToken, secureCookies, setSessionCookie, uiActor } from './session.ts';
import { formValue, requireUiPost, sendHtml } from './ui.tsx';

function safeNext(next: string): string {
  return next.startsWith('/ui/') && !next.startsWith('//') ? next : '/ui/projects';
}

function SignIn(props: { csrf: string; email: string; next: string; error: string | null }): JSX.Element {
  return (
    <Layout title="Sign in" ctx={null}>
      <div class="card sign-in">
        <h1>Sign in to Rollcall</h1>
        <ErrorBox text={props.error} />
        <form class="stack" method="post" action="/ui/sign-in">
          <input type="hidden" name="_csrf" value={props.csrf} />
          <input type="hidden" name="next" value={props.next} />
          <label for="email">Email</label>
          <input id="email" name="email" type="email" value={props.email} required autocomplete="username" />
          <label for="password">Password</label>
          <input id="password" name="password" type="password" required autocomplete="current-password" />
          <p>
            <button type="submit">Sign in</button>
          </p>
        </form>
      </div>
    </Layout>
  );
}

export function registerAuthPages(app: FastifyInstance, deps: AdminDeps): void {
  const secure = (request: FastifyRequest) => secureCookies(deps.config.publicUrl, request);
  app.get<{ Querystring: { next?: string } }>('/ui/sign-in', async (request, reply) => {
    if (await uiActor(deps.services, request)) {
      return reply.redirect('/ui/projects');
    }
    const csrf = preSignInToken(reply, secure(request));
    return sendHtml(reply, <SignIn csrf={csrf} email="" next={safeNext(request.query.next ?? '')} error={null} />);
  });

  app.post('/ui/sign-in', async (request, reply) => {
    const email = formValue(request.body, 'email');
    const next = safeNext(formValue(request.body, 'next'));
    if (!sameToken(formValue(request.body, '_csrf'), request.cookies[PRE_CSRF_COOKIE])) {
      const csrf = preSignInToken(reply, secure(request));
      return sendHtml(reply, <SignIn csrf={csrf} email={email} next={next} error="This form expired. Please sign in again." />, 403);
    }
    try {
      const user = await authenticate(deps.services, email, formValue(request.body, 'password'), signInAddress(request));
      const session = await issueSession(deps.services, user.id, deps.config.sessionHours);
      setSessionCookie(reply, session.token, deps.config.sessionHours, secure(request));
      return reply.redirect(next);
    } catch (err) {
      const csrf = preSignInToken(reply, secure(request));
      if (err instanceof AppError && err.code === 'RATE_LIMITED') {
        const retryAfter = (err.details as { retryAfterSeconds?: number } | undefined)?.retryAfterSeconds;
        if (retryAfter !== undefined) {
          void reply.header('retry-after', String(retryAfter));
        }
        return sendHtml(reply, <SignIn csrf={csrf} email={email} next={next} error={err.message} />, 429);
      }
      return sendHtml(reply, <SignIn csrf={csrf} email={email} next={next} error="The email or password is not right." />, 401);
    }
  });

  app.post('/ui/sign-out', async (request, reply) => {
    const actor = await requireUiPost(deps.services, request, reply);
    if (actor) {
      await revokeActorToken(deps.services, actor);
      clearSessionCookie(reply);
      return reply.redirect('/ui/sign-in');
    }
    return reply;
  });
}
