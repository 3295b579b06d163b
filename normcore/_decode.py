"""Decode one untrusted image in a child process, under a CPU-time and a memory limit.

Run by :func:`normcore.images.load_upload` as ``python -I _decode.py FORMAT SIZE CPU_SECONDS MEMORY_BYTES``
with the file on stdin. It writes the centre-cropped ``SIZE`` x ``SIZE`` RGB picture (uint8, row-major,
``SIZE * SIZE * 3`` bytes) to stdout, or exits with :data:`CORRUPT` or :data:`OUT_OF_MEMORY`. The kernel
ends it when the CPU limit is spent (SIGXCPU, then SIGKILL one second later); the parent kills it when
its own wall-clock limit passes or its script run stops. Imports Pillow only: no numpy, no normcore.
"""

import io
import resource
import sys

CORRUPT = 2
OUT_OF_MEMORY = 3
SIXTEEN_BIT = ("I;16", "I;16B", "I;16L", "I;16N", "I")  # 16-bit greyscale (PNG) as Pillow opens it


def _mapped_bytes() -> int:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmSize:"):
                return int(line.split()[1]) * 1024
    return 0


def _limit(cpu_seconds: int, memory_bytes: int) -> None:
    """CPU seconds from now; memory on top of what the interpreter and Pillow already map."""
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    used = resource.getrusage(resource.RUSAGE_SELF)
    spent = int(used.ru_utime + used.ru_stime) + 1
    resource.setrlimit(resource.RLIMIT_CPU, (spent + cpu_seconds, spent + cpu_seconds + 1))
    address_space = _mapped_bytes() + memory_bytes
    resource.setrlimit(resource.RLIMIT_AS, (address_space, address_space))


def _decode(data: bytes, format: str, size: int):
    from PIL import Image, ImageOps

    image = Image.open(io.BytesIO(data), formats=[format])
    image.draft("RGB", (size, size))  # JPEG: decode at a reduced scale when possible
    image.load()
    if image.mode in SIXTEEN_BIT:  # 0..65535 onto 0..255: otherwise convert() clips it almost white
        image = image.convert("I").point(lambda value: value * (1 / 257)).convert("L")
    image.thumbnail((8 * size, 8 * size))  # in place: the copies below stay small
    image = ImageOps.exif_transpose(image)
    return ImageOps.fit(image.convert("RGB"), (size, size), Image.Resampling.LANCZOS)


def main() -> int:
    format, size, cpu_seconds, memory_bytes = sys.argv[1], *map(int, sys.argv[2:5])
    from PIL import Image, ImageOps, JpegImagePlugin, PngImagePlugin  # noqa: F401  mapped before the limit

    _limit(cpu_seconds, memory_bytes)
    data = sys.stdin.buffer.read()
    try:
        square = _decode(data, format, size)
    except MemoryError:
        return OUT_OF_MEMORY
    except Exception:  # Pillow raises many types for corrupt data
        return CORRUPT
    sys.stdout.buffer.write(square.tobytes())
    return 0


if __name__ == "__main__":
    sys.exit(main())
