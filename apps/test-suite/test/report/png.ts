/**
 * A minimal PNG decoder for screenshot checks: 8-bit RGB or RGBA, not interlaced (what
 * Chromium writes). Returns RGBA pixels. Throws on anything else.
 */
import { inflateSync } from 'node:zlib'

export interface Image {
  readonly width: number
  readonly height: number
  /** RGBA, row-major. */
  readonly pixels: Uint8Array
}

export function decodePng(file: Uint8Array): Image {
  const buf = Buffer.from(file.buffer, file.byteOffset, file.byteLength)
  if (buf.readUInt32BE(0) !== 0x89504e47) throw new Error('not a PNG')
  let pos = 8
  let width = 0
  let height = 0
  let channels = 0
  const idat: Buffer[] = []
  while (pos < buf.length) {
    const len = buf.readUInt32BE(pos)
    const type = buf.toString('latin1', pos + 4, pos + 8)
    const data = buf.subarray(pos + 8, pos + 8 + len)
    if (type === 'IHDR') {
      width = data.readUInt32BE(0)
      height = data.readUInt32BE(4)
      const [depth, color, , , interlace] = [data[8], data[9], data[10], data[11], data[12]]
      if (depth !== 8 || interlace !== 0 || (color !== 2 && color !== 6))
        throw new Error(
          `unsupported PNG: depth ${depth}, color type ${color}, interlace ${interlace}`,
        )
      channels = color === 6 ? 4 : 3
    } else if (type === 'IDAT') idat.push(data)
    else if (type === 'IEND') break
    pos += 12 + len
  }
  const raw = inflateSync(Buffer.concat(idat))
  const stride = width * channels
  const out = new Uint8Array(width * height * 4)
  let prev = new Uint8Array(stride)
  for (let y = 0; y < height; y++) {
    const filter = raw[y * (stride + 1)] ?? -1
    const line = raw.subarray(y * (stride + 1) + 1, (y + 1) * (stride + 1))
    const cur = new Uint8Array(stride)
    for (let x = 0; x < stride; x++) {
      const a = x >= channels ? cur[x - channels]! : 0
      const b = prev[x]!
      const c = x >= channels ? prev[x - channels]! : 0
      const v = line[x]!
      let p: number
      switch (filter) {
        case 0:
          p = v
          break
        case 1:
          p = v + a
          break
        case 2:
          p = v + b
          break
        case 3:
          p = v + ((a + b) >> 1)
          break
        case 4: {
          const pa = Math.abs(b - c)
          const pb = Math.abs(a - c)
          const pc = Math.abs(a + b - 2 * c)
          p = v + (pa <= pb && pa <= pc ? a : pb <= pc ? b : c)
          break
        }
        default:
          throw new Error(`bad PNG filter ${filter}`)
      }
      cur[x] = p & 0xff
    }
    for (let x = 0; x < width; x++) {
      const o = (y * width + x) * 4
      out[o] = cur[x * channels]!
      out[o + 1] = cur[x * channels + 1]!
      out[o + 2] = cur[x * channels + 2]!
      out[o + 3] = channels === 4 ? cur[x * channels + 3]! : 255
    }
    prev = cur
  }
  return { width, height, pixels: out }
}

/** Pixels whose colour is clearly not grey (max − min channel > 60): plot lines, areas, bars. */
export function colouredPixels(img: Image): number {
  let n = 0
  const p = img.pixels
  for (let i = 0; i < p.length; i += 4) {
    const r = p[i]!
    const g = p[i + 1]!
    const b = p[i + 2]!
    if (Math.max(r, g, b) - Math.min(r, g, b) > 60) n++
  }
  return n
}
