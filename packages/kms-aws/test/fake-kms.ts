/**
 * A local stand-in for the AWS KMS JSON API (`X-Amz-Target: TrentService.*`, AWS JSON 1.1)
 * on 127.0.0.1: `GetPublicKey` and `Sign` over one Ed25519 key held by the test, with
 * switches for the failures a real service can answer.
 */

import { generateKeyPairSync, type KeyObject, sign } from 'node:crypto'
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'

/** What the next `Sign` calls do. */
export type FakeKmsMode = 'sign' | 'disabled' | 'hang' | 'throttle'

/** A running fake KMS. */
export interface FakeKms {
  readonly endpoint: string
  readonly keyId: string
  readonly keyArn: string
  /** Key spec reported by GetPublicKey; change it to offer a key of another kind. */
  keySpec: string
  mode: FakeKmsMode
  /** `Sign` requests received, with their parsed bodies. */
  readonly signRequests: Record<string, unknown>[]
  close(): Promise<void>
}

function json(response: ServerResponse, status: number, body: unknown): void {
  response.writeHead(status, { 'content-type': 'application/x-amz-json-1.1' })
  response.end(JSON.stringify(body))
}

async function bodyOf(request: IncomingMessage): Promise<Record<string, unknown>> {
  const chunks: Buffer[] = []
  for await (const chunk of request) chunks.push(chunk as Buffer)
  return JSON.parse(Buffer.concat(chunks).toString('utf8')) as Record<string, unknown>
}

/** Starts a fake KMS holding one fresh Ed25519 key. */
export async function startFakeKms(): Promise<FakeKms> {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519')
  const keyId = '1234abcd-12ab-34cd-56ef-1234567890ab'
  const keyArn = `arn:aws:kms:us-east-1:111122223333:key/${keyId}`
  const hanging: ServerResponse[] = []
  const state = { keySpec: 'ECC_NIST_EDWARDS25519', mode: 'sign' as FakeKmsMode }
  const signRequests: Record<string, unknown>[] = []
  const server = createServer(async (request, response) => {
    const target = String(request.headers['x-amz-target'] ?? '')
    const body = await bodyOf(request)
    if (body['KeyId'] !== keyId && body['KeyId'] !== keyArn && body['KeyId'] !== 'alias/writ') {
      json(response, 400, { __type: 'NotFoundException', message: 'no such key' })
    } else if (target === 'TrentService.GetPublicKey') {
      json(response, 200, publicKeyAnswer(keyArn, publicKey, state.keySpec))
    } else if (target === 'TrentService.Sign') {
      signRequests.push(body)
      answerSign(response, body, privateKey, state.mode, hanging)
    } else json(response, 400, { __type: 'UnsupportedOperationException', message: target })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  return Object.assign(state, {
    endpoint: `http://127.0.0.1:${port}`,
    keyId,
    keyArn,
    signRequests,
    close: () =>
      new Promise<void>((resolve) => {
        for (const response of hanging) response.destroy()
        server.closeAllConnections()
        server.close(() => resolve())
      }),
  })
}

function publicKeyAnswer(keyArn: string, publicKey: KeyObject, keySpec: string) {
  return {
    KeyId: keyArn,
    KeySpec: keySpec,
    KeyUsage: 'SIGN_VERIFY',
    SigningAlgorithms: ['ED25519_SHA_512', 'ED25519_PH_SHA_512'],
    PublicKey: publicKey.export({ format: 'der', type: 'spki' }).toString('base64'),
  }
}

function answerSign(
  response: ServerResponse,
  body: Record<string, unknown>,
  privateKey: KeyObject,
  mode: FakeKmsMode,
  hanging: ServerResponse[],
): void {
  if (mode === 'hang') {
    hanging.push(response)
    return
  }
  if (mode === 'disabled') {
    json(response, 400, { __type: 'DisabledException', message: 'the key is disabled' })
    return
  }
  if (mode === 'throttle') {
    json(response, 400, { __type: 'ThrottlingException', message: 'slow down' })
    return
  }
  if (body['SigningAlgorithm'] !== 'ED25519_SHA_512' || body['MessageType'] !== 'RAW') {
    json(response, 400, { __type: 'ValidationException', message: 'unsupported algorithm' })
    return
  }
  const message = Buffer.from(String(body['Message']), 'base64')
  json(response, 200, {
    KeyId: body['KeyId'],
    SigningAlgorithm: 'ED25519_SHA_512',
    Signature: sign(null, message, privateKey).toString('base64'),
  })
}
