export function hello(x: number): number { return x * 2; }
