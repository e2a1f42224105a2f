/**
 * The electronic health record: patient records kept as numbered versions, written
 * only on a valid PERMIT for exactly that request.
 */
import type { JwkSet } from '@writ/verify'
import {
  type PermittedRequest,
  type ReceivingService,
  type ServiceReply,
  startReceivingService,
} from './service-host.js'

/** One version of a patient record: the field written and by whom. */
export interface RecordVersion {
  readonly version: number
  readonly field: string
  readonly value: string
  readonly receiptId: string | null
  readonly author: string
}

/** A patient and the versions of their record, oldest first. */
export interface PatientRecord {
  readonly patient: string
  readonly name: string
  readonly versions: readonly RecordVersion[]
}

/** What the EHR's page panel shows. */
export interface EhrState {
  readonly patients: readonly PatientRecord[]
}

/** The running EHR. */
export interface Ehr extends ReceivingService {
  state(): EhrState
  /** Back to the opening records (version 1 each), no refusals, a fresh guard trusting `keys`. */
  reset(keys: JwkSet | string): void
}

function initialRecords(): Map<string, { name: string; versions: RecordVersion[] }> {
  return new Map([
    [
      'p-100',
      {
        name: 'Ada Example',
        versions: [
          {
            version: 1,
            field: 'allergies',
            value: 'penicillin',
            receiptId: null,
            author: 'dr.lee',
          },
        ],
      },
    ],
    [
      'p-200',
      {
        name: 'Ben Sample',
        versions: [
          { version: 1, field: 'diagnosis', value: 'asthma', receiptId: null, author: 'dr.lee' },
        ],
      },
    ],
  ])
}

/** Starts the EHR with the authority's published keys. */
export async function startEhr(keys: JwkSet | string): Promise<Ehr> {
  let patients = initialRecords()

  const execute = (request: PermittedRequest): ServiceReply => {
    const patientId = request.path.split('/')[2] ?? ''
    const record = patients.get(patientId)
    const { patient, field, value } = request.body
    if (record === undefined || patient !== patientId) {
      return { status: 404, body: { error: 'no such patient' } }
    }
    if (typeof field !== 'string' || typeof value !== 'string') {
      return { status: 422, body: { error: 'a record write needs a field and a value' } }
    }
    const version: RecordVersion = {
      version: record.versions.length + 1,
      field,
      value,
      receiptId: request.receipt.jti,
      author: request.receipt.sub,
    }
    record.versions.push(version)
    return { status: 201, body: { patient: patientId, version } }
  }

  const service = await startReceivingService({ name: 'ehr', keys, execute })
  return {
    ...service,
    state: () => ({
      patients: [...patients].map(([patient, record]) => ({
        patient,
        name: record.name,
        versions: [...record.versions],
      })),
    }),
    reset: (nextKeys) => {
      service.resetGuard(nextKeys)
      patients = initialRecords()
    },
  }
}
