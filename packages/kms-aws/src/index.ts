// @writ/kms-aws: sign Writ receipts with an Ed25519 key held in AWS KMS

// The signer
export {
  type AwsKmsSigner,
  type AwsKmsSignerOptions,
  KMS_MAX_MESSAGE_BYTES,
  openAwsKmsSigner,
} from './aws-kms-signer.js'
