import net from 'net'

/** Node's own read size: a read into a slab is never offered less room than this, and the first slab holds one. */
const MIN_READ_BYTES = 64 * 1024
/**
 * Slabs double up to this, but only after a read filled all the room it was offered: a socket
 * among many that each read a little keeps 64 KiB slabs, as many slabs alive at once cost more
 * than the copies they save.
 */
const MAX_SLAB_BYTES = 512 * 1024
/**
 * After a small read that did not fill its room (a ping, a pong, a text message: the socket has
 * caught up), the next read is offered a buffer of this size instead of a slab. The socket holds
 * the buffer its next read goes to for as long as it waits, so an idle reader holds this rather
 * than a slab; a read that fills it brings the slabs back.
 */
const IDLE_READ_BYTES = 4 * 1024

/**
 * A TCP connection for ws's `createConnection` whose reads land back to back in slabs rather
 * than each in a buffer of its own. Node reads into 64 KiB and copies each shorter read into
 * a buffer of its size; ws then copies every frame that spans two reads into a new buffer,
 * which at 64 KiB frames (10 bytes longer than a read) is nearly every frame. Here a read
 * takes all the room left in the slab, so a frame usually lies within one read and ws hands
 * it on as a view: the bytes are written once, by the kernel, and the off-heap garbage that
 * drives V8's scavenges and full GCs is about halved. A chunk kept by the application keeps
 * its slab alive (as a view keeps its 64 KiB read alive without this). Between bursts the
 * socket waits with a small buffer, not a slab (see {@link IDLE_READ_BYTES}).
 */
export function slabReadConnection(options: net.NetConnectOpts): net.Socket {
  let slab: Buffer | undefined
  let slabBytes = MIN_READ_BYTES
  let used = 0
  /** Whether a read filled all the room it was offered: the peer sends faster than we read. */
  let filled = false
  let idle = false
  const room = (): Buffer => {
    if (idle) {
      slab = undefined
      return Buffer.allocUnsafe(IDLE_READ_BYTES)
    }
    if (slab === undefined || slab.length - used < MIN_READ_BYTES) {
      if (slab !== undefined && filled) slabBytes = Math.min(slabBytes * 2, MAX_SLAB_BYTES)
      slab = Buffer.allocUnsafe(slabBytes)
      used = 0
      filled = false
    }
    return slab.subarray(used)
  }
  // As ws's own connector: a Unix socket path, if ws was given one, goes in `path`.
  const socketPath = (options as { socketPath?: string }).socketPath
  const target: net.NetConnectOpts = socketPath === undefined ? options : { ...options, path: socketPath }
  const socket: net.Socket = net.connect({
    ...target,
    onread: {
      buffer: room,
      // Through the stream's own buffer, so ordering, pause and end behave as without this.
      callback: (bytes, buffer) => {
        const chunk = Buffer.from(buffer.buffer, buffer.byteOffset, bytes)
        const full = bytes === buffer.length
        if (buffer.buffer === slab?.buffer) {
          used += bytes
          filled ||= full
        }
        idle = !full && bytes < IDLE_READ_BYTES
        return socket.push(chunk)
      },
    },
  })
  return socket
}
