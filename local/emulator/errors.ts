/**
 * An error as an AWS JSON 1.1 service reports it: HTTP status, `__type` and `message`, plus the
 * error shape's other members (`fields`, e.g. Organizations' `Reason`). The names are the API
 * model's, so that SDK clients raise their modelled exception classes.
 */
export class AwsServiceError extends Error {
  override readonly name = 'AwsServiceError';

  constructor(
    readonly type: string,
    message: string,
    readonly statusCode: number = 400,
    readonly fields: Readonly<Record<string, unknown>> = {},
  ) {
    super(message);
  }
}

const serviceError =
  (type: string, statusCode = 400) =>
  (message: string): AwsServiceError =>
    new AwsServiceError(type, message, statusCode);

/** Errors shared by every JSON 1.1 service (protocol level). */
export const protocolErrors = {
  serialization: serviceError('SerializationException'),
  unknownOperation: serviceError('UnknownOperationException'),
  validation: serviceError('ValidationException'),
  internal: serviceError('InternalFailure', 500),
};

export const firehoseErrors = {
  resourceNotFound: serviceError('ResourceNotFoundException'),
  resourceInUse: serviceError('ResourceInUseException'),
  invalidArgument: serviceError('InvalidArgumentException'),
  limitExceeded: serviceError('LimitExceededException'),
  invalidKmsResource: serviceError('InvalidKMSResourceException'),
  serviceUnavailable: serviceError('ServiceUnavailableException', 503),
};

export const kmsErrors = {
  notFound: serviceError('NotFoundException'),
  disabled: serviceError('DisabledException'),
  invalidState: serviceError('KMSInvalidStateException'),
  invalidArn: serviceError('InvalidArnException'),
  malformedPolicy: serviceError('MalformedPolicyDocumentException'),
  unsupportedOperation: serviceError('UnsupportedOperationException'),
};

const INVALID_TOKEN = 'The security token included in the request is invalid.';

/**
 * How a service refuses a request before it reaches an operation: credentials it does not know, and
 * a SigV4 credential scope that names no region. AWS JSON services and the awsQuery services (STS)
 * name these differently.
 */
export const authErrors = {
  unrecognizedClient: (service: string): AwsServiceError =>
    service === 'sts'
      ? new AwsServiceError('InvalidClientTokenId', INVALID_TOKEN, 403)
      : new AwsServiceError('UnrecognizedClientException', INVALID_TOKEN, 403),
  invalidRegionScope: (service: string, region: string): AwsServiceError =>
    service === 'sts'
      ? new AwsServiceError('SignatureDoesNotMatch', `Credential should be scoped to a valid region, not '${region}'.`, 403)
      : new AwsServiceError('InvalidSignatureException', `Credential should be scoped to a valid region, not '${region}'.`),
};

/** STS (awsQuery) error codes: `<Error><Code>` of an `<ErrorResponse>`. */
export const stsErrors = {
  accessDenied: serviceError('AccessDenied', 403),
  validation: serviceError('ValidationError'),
  invalidAction: serviceError('InvalidAction'),
};

/** AWS Organizations (JSON 1.1; the error shapes' member is `Message`), statuses as its model states them. */
export const organizationsErrors = {
  accessDenied: serviceError('AccessDeniedException', 403),
  notInUse: serviceError('AWSOrganizationsNotInUseException', 404),
  invalidInput: (message: string, reason: string): AwsServiceError =>
    new AwsServiceError('InvalidInputException', message, 400, { Reason: reason }),
};

/** Account Management (restJson1): `message`, and a ValidationException's `reason`. */
export const accountErrors = {
  accessDenied: serviceError('AccessDeniedException', 403),
  validation: (message: string): AwsServiceError =>
    new AwsServiceError('ValidationException', message, 400, { reason: 'fieldValidationFailed' }),
  unknownOperation: serviceError('UnknownOperationException', 404),
};
