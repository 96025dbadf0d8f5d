/**
 * The answers of the ingest status routes, as the use cases return them. Types only, with no
 * imports, so the browser UI imports them too (like answers.ts).
 */

/** Why the consumer refused a profile: the error code and message of its dead letter. */
export interface IngestFailureReason {
  code: string;
  message: string;
}

/** `GET /v1/profiles/{id}`: what became of one upload. */
export type ProfileStatus =
  | {
      profile_id: string;
      status: 'pending';
      service: string;
      accepted_at: string;
      upload_id?: string;
    }
  | {
      profile_id: string;
      status: 'committed';
      service: string;
      env: string;
      version: string;
      /** pprof samples in the profile, and rows written for them (one per sample and sample type). */
      samples: number;
      rows: number;
      /** `type/unit` of each measure, as the profile names them (`cpu/nanoseconds`, `samples/count`). */
      sample_types: string[];
      start: string;
      end: string;
      received_at: string;
      committed_at: string;
    }
  | {
      profile_id: string;
      status: 'dead_lettered';
      service: string;
      reason: IngestFailureReason;
      failed_at: string;
    };

/**
 * `GET /v1/profiles/{upload_id}` with the `upload_id` of an agent upload (Datadog, Pyroscope): the
 * status of each profile it holds, named by its attachment.
 */
export interface UploadStatus {
  upload_id: string;
  service: string;
  accepted_at: string;
  profiles: (ProfileStatus & { attachment: string })[];
}

export interface IngestError {
  profile_id: string;
  service: string;
  reason: IngestFailureReason;
  failed_at: string;
}

/** `GET /v1/ingest-errors[?service=]`: the latest dead-lettered profiles, newest first. */
export interface IngestErrors {
  service: string | null;
  /** The oldest time listed: dead letters are kept this long. */
  since: string;
  errors: IngestError[];
  truncated: boolean;
}
