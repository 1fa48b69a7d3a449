/** What the engine reports on `engine.events$`: for monitoring, and for tests to wait on. */
export type EngineEvent =
  | { readonly type: 'worker_connected'; readonly worker_id: string }
  | { readonly type: 'worker_disconnected'; readonly worker_id: string }
  /** The worker has `maxQueuedBytesPerWorker` or more queued and unread: invocations to it are refused. */
  | { readonly type: 'worker_backed_up'; readonly worker_id: string; readonly queued_bytes: number }
  /** A backed-up worker took its queue below the limit in time; `refused_invocations` were refused meanwhile. */
  | { readonly type: 'worker_drained'; readonly worker_id: string; readonly refused_invocations: number }
  | { readonly type: 'channel_created'; readonly channel_id: string; readonly buffer_size: number }
  /** The channel's ends did not both connect within the TTL; `channel_finished` follows. */
  | { readonly type: 'channel_expired'; readonly channel_id: string; readonly reason: string }
  | { readonly type: 'channel_finished'; readonly channel_id: string }
  /** The channel holds `buffer_size` frames or its bytes limit, or a shared byte budget is full: the writer's socket is no longer read. */
  | { readonly type: 'writer_paused'; readonly channel_id: string; readonly held_frames: number; readonly held_bytes: number }
  | { readonly type: 'writer_resumed'; readonly channel_id: string; readonly held_frames: number; readonly held_bytes: number }
  /** An end of a channel living on node `home_node` reached this node, which proxies it there once the home accepted it. */
  | { readonly type: 'end_proxied'; readonly channel_id: string; readonly home_node: string }
  /** Both sockets of a proxied end have closed; `stats().proxiedEnds` no longer counts it. */
  | { readonly type: 'proxy_finished'; readonly channel_id: string; readonly home_node: string }
  /**
   * An invocation ended: `ok`, `error` (with the error's `code`), `sent` (fire-and-forget: nothing comes
   * back) or `caller gone` (its result is no longer awaited). `duration_ms` runs from forwarding to the
   * result; it is absent when the engine answered at once or nothing comes back. `cross_node` when the
   * caller or the callee is on another node of the cluster.
   */
  | {
      readonly type: 'invocation_finished'
      readonly function_id: string
      readonly outcome: InvocationOutcomeKind
      readonly code?: string
      readonly duration_ms?: number
      readonly cross_node: boolean
    }
  /** The engine answered a connection or upgrade with HTTP `status` instead of a socket (see the README for what each status means). */
  | { readonly type: 'socket_refused'; readonly status: number }
  /** A socket the engine accepted has closed; `stats().sockets` no longer counts it. */
  | { readonly type: 'socket_closed'; readonly endpoint: SocketEndpoint }
  /** With `otlpEndpoint`: the OTLP collector took one export an official client sent on `/otel`. */
  | { readonly type: 'telemetry_forwarded'; readonly signal: TelemetrySignal; readonly bytes: number }
  /**
   * With `otlpEndpoint`: an export from `/otel` was dropped: `queue_full` (the engine held
   * `maxOtlpQueueBytes` for the collector already), `export_failed` (the collector refused it,
   * was away or did not answer within `otlpTimeoutMs`), `unknown_signal` (no known prefix).
   */
  | { readonly type: 'telemetry_dropped'; readonly signal: TelemetrySignal | 'unknown'; readonly reason: TelemetryDropReason; readonly bytes: number }
  /** With `otlpEndpoint`: a batch of the engine's own invocation spans was exported, or failed to be. */
  | { readonly type: 'engine_spans_exported'; readonly spans: number; readonly ok: boolean }
  /**
   * With `otlpEndpoint`: some of the engine's own invocation spans were dropped: `queue_full`
   * (2048 waited for the collector already), `engine_closed` (the collector had not taken them
   * within `otlpTimeoutMs` of `close()`).
   */
  | { readonly type: 'engine_spans_dropped'; readonly spans: number; readonly reason: EngineSpansDropReason }

/** What an OTLP export carries, by the prefix of its `/otel` frame: `OTLP`, `MTRC` or `LOGS`. */
export type TelemetrySignal = 'traces' | 'metrics' | 'logs'

export type TelemetryDropReason = 'queue_full' | 'export_failed' | 'unknown_signal'

export type EngineSpansDropReason = 'queue_full' | 'engine_closed'

export type InvocationOutcomeKind = 'ok' | 'error' | 'sent' | 'caller gone'

/** Which endpoint a socket was accepted on. */
export type SocketEndpoint = 'worker' | 'channel' | 'telemetry'
