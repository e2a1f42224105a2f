/**
 * The two WebAuthn ceremonies of the approvals page that are not approvals themselves:
 * enrolling a passkey through a one-time link, and signing in with it. Both are checked
 * with `@simplewebauthn/server`. Signing in only opens a session (it shows an approver the
 * holds of their groups); every approval is a separate assertion over its own claims.
 */
import {
  generateAuthenticationOptions,
  generateRegistrationOptions,
  verifyAuthenticationResponse,
  verifyRegistrationResponse,
} from '@simplewebauthn/server'
import { base64UrlEncode, utf8Encode } from '@writ/verify/internal'
import type { Context, Hono } from 'hono'
import { problem } from '../problem.js'
import { type PageContext, readPageJson, refusal, signIn } from './page-context.js'
import { CEREMONY_SECONDS } from './sessions.js'

type RegistrationResponse = Parameters<typeof verifyRegistrationResponse>[0]['response']
type AuthenticationResponse = Parameters<typeof verifyAuthenticationResponse>[0]['response']

/** `POST /approvals/api/enroll/options` and `/enroll/verify`: register a passkey with a one-time link. */
export function enrollmentRoutes(app: Hono, page: PageContext): void {
  app.post('/approvals/api/enroll/options', async (http) => {
    try {
      const token = String((await readPageJson(http))['token'])
      const approver = page.passkeys.peek(token, page.now())
      const entry = approver === undefined ? undefined : page.base.approver(approver)
      if (approver === undefined || entry === undefined) {
        return problem(403, 'UNAUTHENTICATED', 'This enrollment link is unknown, used or expired.')
      }
      const options = await generateRegistrationOptions({
        rpName: page.rpName,
        rpID: page.rpId,
        userName: approver,
        userDisplayName: entry.name ?? approver,
        userID: utf8Encode(approver) as Uint8Array<ArrayBuffer>,
        attestationType: 'none',
        authenticatorSelection: { residentKey: 'required', userVerification: 'required' },
        excludeCredentials: page.passkeys
          .all()
          .filter((passkey) => passkey.approver === approver)
          .map((passkey) => ({ id: passkey.id })),
      })
      const ceremony = page.sessions.begin({
        kind: 'enroll',
        challenge: options.challenge,
        approver,
        token,
        exp: page.now() + CEREMONY_SECONDS,
      })
      return Response.json({
        ceremony,
        options,
        approver: { id: approver, name: entry.name ?? approver },
      })
    } catch (error) {
      return refusal(error)
    }
  })
  app.post('/approvals/api/enroll/verify', (http) => verifyEnrollment(http, page))
}

async function verifyEnrollment(http: Context, page: PageContext): Promise<Response> {
  try {
    const body = await readPageJson(http)
    const ceremony = page.sessions.take(String(body['ceremony']), page.now())
    if (
      ceremony?.kind !== 'enroll' ||
      page.passkeys.consume(ceremony.token, page.now()) === undefined
    ) {
      return problem(403, 'UNAUTHENTICATED', 'This enrollment link is unknown, used or expired.')
    }
    const verification = await verifyRegistrationResponse({
      response: body['response'] as RegistrationResponse,
      expectedChallenge: ceremony.challenge,
      expectedOrigin: page.origin,
      expectedRPID: page.rpId,
      requireUserVerification: true,
    }).catch(() => undefined)
    if (verification?.verified !== true || verification.registrationInfo === undefined) {
      return problem(400, 'SIGNATURE_INVALID', 'The passkey could not be registered.')
    }
    const { credential } = verification.registrationInfo
    await page.passkeys.add({
      approver: ceremony.approver,
      id: credential.id,
      publicKey: base64UrlEncode(credential.publicKey),
      counter: credential.counter,
      created: page.now(),
    })
    page.refreshApprovers()
    signIn(http, page, ceremony.approver)
    return http.json({ enrolled: true, approver: ceremony.approver, credentialId: credential.id })
  } catch (error) {
    return refusal(error)
  }
}

/** `POST /approvals/api/sign-in/options` and `/sign-in/verify`: a session from a passkey. */
export function signInRoutes(app: Hono, page: PageContext): void {
  app.post('/approvals/api/sign-in/options', async () => {
    const options = await generateAuthenticationOptions({
      rpID: page.rpId,
      userVerification: 'required',
      allowCredentials: [],
    })
    const ceremony = page.sessions.begin({
      kind: 'sign-in',
      challenge: options.challenge,
      exp: page.now() + CEREMONY_SECONDS,
    })
    return Response.json({ ceremony, options })
  })
  app.post('/approvals/api/sign-in/verify', (http) => verifySignIn(http, page))
}

async function verifySignIn(http: Context, page: PageContext): Promise<Response> {
  try {
    const body = await readPageJson(http)
    const ceremony = page.sessions.take(String(body['ceremony']), page.now())
    const response = body['response'] as AuthenticationResponse
    const passkey = page.passkeys.byId(String(response?.id))
    if (ceremony?.kind !== 'sign-in' || passkey === undefined) {
      return problem(401, 'APPROVER_UNKNOWN', 'This passkey is not registered here.')
    }
    const verification = await verifyAuthenticationResponse({
      response,
      expectedChallenge: ceremony.challenge,
      expectedOrigin: page.origin,
      expectedRPID: page.rpId,
      credential: {
        id: passkey.id,
        publicKey: Buffer.from(passkey.publicKey, 'base64url') as Uint8Array<ArrayBuffer>,
        counter: passkey.counter,
      },
      requireUserVerification: true,
    }).catch(() => undefined)
    if (verification?.verified !== true) {
      return problem(401, 'SIGNATURE_INVALID', 'The passkey did not sign in.')
    }
    await page.passkeys.touch(passkey.id, verification.authenticationInfo.newCounter)
    signIn(http, page, passkey.approver)
    const entry = page.base.approver(passkey.approver)
    return http.json({ id: passkey.approver, name: entry?.name ?? passkey.approver })
  } catch (error) {
    return refusal(error)
  }
}
