// The bearer token the server benchmark's agent presents (loopback only, never a secret).
export const BENCH_TOKEN = 'bench-token-0123456789abcdef'
