/** What the engine reports on `engine.events$`: for monitoring, and for tests to wait on. */
export type EngineEvent =
  | { readonly type: 'worker_connected'; readonly worker_id: string }
  | { readonly type: 'worker_disconnected'; readonly worker_id: string }
  | { readonly type: 'channel_created'; readonly channel_id: string; readonly buffer_size: number }
  | { readonly type: 'channel_finished'; readonly channel_id: string }
  /** The channel holds `buffer_size` frames: the writer's socket is no longer read. */
  | { readonly type: 'writer_paused'; readonly channel_id: string; readonly held_frames: number }
  | { readonly type: 'writer_resumed'; readonly channel_id: string; readonly held_frames: number }
