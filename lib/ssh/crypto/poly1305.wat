;; Poly1305 one-time authenticator (RFC 8439 §2.5) for sshmux, in 26-bit limbs with 64-bit
;; products (the "donna-32" layout). Build: scripts/build-poly1305-wasm.ts.
;;
;; Long messages go four blocks at a time through WASM SIMD: lane j of every i32x4 holds limb k
;; of an independent accumulator that sees blocks j, j+4, j+8, ... and is multiplied by r^4 per
;; step. The last 4-block step multiplies lane j by r^(4-j) instead, which lines every block up
;; with the power of r plain Horner evaluation would give it, so the lanes just add up. The
;; remaining blocks (up to three full ones and the padded partial one) go through the scalar
;; loop, one block at a time, as do short messages.
;;
;; Why this layout: i64x2.extmul_{low,high}_i32x4_u give two 32x32->64 products each, so one
;; i32x4 of limbs feeds two of them with no waste; 26-bit limbs keep sums of five products
;; below 2^64 and leave room for the message limbs and the lazily carried limbs. V8 turns each
;; extmul into two unpacks and a pmuludq, so shuffle throughput bounds the loop (~1.75x the
;; scalar loop per block here); the carries cost about a quarter of it, hence the single chain.
;;
;; Memory layout, shared with poly1305.ts:
;;   [0, 32)     the one-time key (r || s)
;;   [32, 48)    the tag written by $auth
;;   [128, 256)  r^1, r^2, r^3, r^4 as five i32 limbs each, 32 bytes apart (scratch)
;;   [256, ...)  the message; the 16 bytes after it are scratch for the padded final block
;; $auth(len) authenticates the len-byte message and writes the tag.
(module
  (memory (export "memory") 5)

  ;; Below this many bytes the r^2..r^4 precomputation costs more than SIMD saves.
  (global $SIMD_MIN i32 (i32.const 256))

  ;; (a * b) mod 2^130 - 5 for two numbers in 26-bit limbs, partially carried: limbs below
  ;; 2^26 except the second, which may exceed it by a few bits. Used per block by the scalar
  ;; loop and to precompute powers of r. Needs a limbs < 2^29 and b limbs < 2^27 so that
  ;; sums of five products of a limb and 5 * b limb stay below 2^64.
  (func $mul (param $a0 i64) (param $a1 i64) (param $a2 i64) (param $a3 i64) (param $a4 i64)
    (param $b0 i64) (param $b1 i64) (param $b2 i64) (param $b3 i64) (param $b4 i64)
    (result i64 i64 i64 i64 i64)
    (local $s1 i64) (local $s2 i64) (local $s3 i64) (local $s4 i64)
    (local $d0 i64) (local $d1 i64) (local $d2 i64) (local $d3 i64) (local $d4 i64) (local $c i64)
    ;; 2^130 = 5 (mod p): a product landing at limb 5+k wraps to limb k times 5
    (local.set $s1 (i64.mul (local.get $b1) (i64.const 5)))
    (local.set $s2 (i64.mul (local.get $b2) (i64.const 5)))
    (local.set $s3 (i64.mul (local.get $b3) (i64.const 5)))
    (local.set $s4 (i64.mul (local.get $b4) (i64.const 5)))
    (local.set $d0 (i64.add (i64.add (i64.add (i64.add
      (i64.mul (local.get $a0) (local.get $b0)) (i64.mul (local.get $a1) (local.get $s4)))
      (i64.mul (local.get $a2) (local.get $s3))) (i64.mul (local.get $a3) (local.get $s2)))
      (i64.mul (local.get $a4) (local.get $s1))))
    (local.set $d1 (i64.add (i64.add (i64.add (i64.add
      (i64.mul (local.get $a0) (local.get $b1)) (i64.mul (local.get $a1) (local.get $b0)))
      (i64.mul (local.get $a2) (local.get $s4))) (i64.mul (local.get $a3) (local.get $s3)))
      (i64.mul (local.get $a4) (local.get $s2))))
    (local.set $d2 (i64.add (i64.add (i64.add (i64.add
      (i64.mul (local.get $a0) (local.get $b2)) (i64.mul (local.get $a1) (local.get $b1)))
      (i64.mul (local.get $a2) (local.get $b0))) (i64.mul (local.get $a3) (local.get $s4)))
      (i64.mul (local.get $a4) (local.get $s3))))
    (local.set $d3 (i64.add (i64.add (i64.add (i64.add
      (i64.mul (local.get $a0) (local.get $b3)) (i64.mul (local.get $a1) (local.get $b2)))
      (i64.mul (local.get $a2) (local.get $b1))) (i64.mul (local.get $a3) (local.get $b0)))
      (i64.mul (local.get $a4) (local.get $s4))))
    (local.set $d4 (i64.add (i64.add (i64.add (i64.add
      (i64.mul (local.get $a0) (local.get $b4)) (i64.mul (local.get $a1) (local.get $b3)))
      (i64.mul (local.get $a2) (local.get $b2))) (i64.mul (local.get $a3) (local.get $b1)))
      (i64.mul (local.get $a4) (local.get $b0))))
    ;; partial carry back to 26-bit limbs
    (local.set $c (i64.shr_u (local.get $d0) (i64.const 26)))
    (local.set $d0 (i64.and (local.get $d0) (i64.const 0x3ffffff)))
    (local.set $d1 (i64.add (local.get $d1) (local.get $c)))
    (local.set $c (i64.shr_u (local.get $d1) (i64.const 26)))
    (local.set $d1 (i64.and (local.get $d1) (i64.const 0x3ffffff)))
    (local.set $d2 (i64.add (local.get $d2) (local.get $c)))
    (local.set $c (i64.shr_u (local.get $d2) (i64.const 26)))
    (local.set $d2 (i64.and (local.get $d2) (i64.const 0x3ffffff)))
    (local.set $d3 (i64.add (local.get $d3) (local.get $c)))
    (local.set $c (i64.shr_u (local.get $d3) (i64.const 26)))
    (local.set $d3 (i64.and (local.get $d3) (i64.const 0x3ffffff)))
    (local.set $d4 (i64.add (local.get $d4) (local.get $c)))
    (local.set $c (i64.shr_u (local.get $d4) (i64.const 26)))
    (local.set $d4 (i64.and (local.get $d4) (i64.const 0x3ffffff)))
    (local.set $d0 (i64.add (local.get $d0) (i64.mul (local.get $c) (i64.const 5))))
    (local.set $c (i64.shr_u (local.get $d0) (i64.const 26)))
    (local.set $d0 (i64.and (local.get $d0) (i64.const 0x3ffffff)))
    (local.get $d0)
    (i64.add (local.get $d1) (local.get $c))
    (local.get $d2) (local.get $d3) (local.get $d4))

  ;; Stores a 5-limb number as i32 limbs at $at (the power table).
  (func $store5 (param $at i32)
    (param $x0 i64) (param $x1 i64) (param $x2 i64) (param $x3 i64) (param $x4 i64)
    (i64.store32 offset=0 (local.get $at) (local.get $x0))
    (i64.store32 offset=4 (local.get $at) (local.get $x1))
    (i64.store32 offset=8 (local.get $at) (local.get $x2))
    (i64.store32 offset=12 (local.get $at) (local.get $x3))
    (i64.store32 offset=16 (local.get $at) (local.get $x4)))

  ;; The i32x4 [r^4, r^3, r^2, r^1] of limb k (its byte offset $k4 = 4k in the table): lane j
  ;; multiplies the accumulator of lane j by r^(4-j) in the final SIMD step.
  (func $powers (param $k4 i32) (result v128)
    (i32x4.replace_lane 3 (i32x4.replace_lane 2 (i32x4.replace_lane 1
      (i32x4.splat (i32.load offset=224 (local.get $k4)))
      (i32.load offset=192 (local.get $k4)))
      (i32.load offset=160 (local.get $k4)))
      (i32.load offset=128 (local.get $k4))))

  ;; The sum of the four u32 lanes of $v, as an i64.
  (func $lanesum (param $v v128) (result i64)
    (i64.add
      (i64.add (i64.extend_i32_u (i32x4.extract_lane 0 (local.get $v)))
               (i64.extend_i32_u (i32x4.extract_lane 1 (local.get $v))))
      (i64.add (i64.extend_i32_u (i32x4.extract_lane 2 (local.get $v)))
               (i64.extend_i32_u (i32x4.extract_lane 3 (local.get $v))))))

  (func (export "auth") (param $len i32)
    (local $r0 i64) (local $r1 i64) (local $r2 i64) (local $r3 i64) (local $r4 i64)
    (local $h0 i64) (local $h1 i64) (local $h2 i64) (local $h3 i64) (local $h4 i64)
    (local $g0 i64) (local $g1 i64) (local $g2 i64) (local $g3 i64) (local $g4 i64)
    (local $c i64) (local $mask i64) (local $f i64) (local $hibit i64)
    (local $p i32) (local $full i32) (local $end i32) (local $i i32) (local $simdEnd i32)
    ;; SIMD state: accumulators H, message limbs M, multipliers R (and S = 5R), 64-bit
    ;; products D split into lanes 0-1 (lo) and lanes 2-3 (hi), carries C
    (local $H0 v128) (local $H1 v128) (local $H2 v128) (local $H3 v128) (local $H4 v128)
    (local $M0 v128) (local $M1 v128) (local $M2 v128) (local $M3 v128) (local $M4 v128)
    (local $R0 v128) (local $R1 v128) (local $R2 v128) (local $R3 v128) (local $R4 v128)
    (local $S1 v128) (local $S2 v128) (local $S3 v128) (local $S4 v128)
    (local $B0 v128) (local $B1 v128) (local $B2 v128) (local $B3 v128)
    (local $T0 v128) (local $T1 v128) (local $T2 v128) (local $T3 v128)
    (local $D0l v128) (local $D1l v128) (local $D2l v128) (local $D3l v128) (local $D4l v128)
    (local $D0h v128) (local $D1h v128) (local $D2h v128) (local $D3h v128) (local $D4h v128)
    (local $Cl v128) (local $Ch v128)
    ;; r, clamped as RFC 8439 requires, split into 26-bit limbs
    (local.set $r0 (i64.and (i64.load32_u (i32.const 0)) (i64.const 0x3ffffff)))
    (local.set $r1 (i64.and (i64.shr_u (i64.load32_u (i32.const 3)) (i64.const 2)) (i64.const 0x3ffff03)))
    (local.set $r2 (i64.and (i64.shr_u (i64.load32_u (i32.const 6)) (i64.const 4)) (i64.const 0x3ffc0ff)))
    (local.set $r3 (i64.and (i64.shr_u (i64.load32_u (i32.const 9)) (i64.const 6)) (i64.const 0x3f03fff)))
    (local.set $r4 (i64.and (i64.shr_u (i64.load32_u (i32.const 12)) (i64.const 8)) (i64.const 0x00fffff)))
    ;; Pad a trailing partial block in place: a 0x01 byte after the message, then zeros.
    (local.set $full (i32.add (i32.const 256) (i32.and (local.get $len) (i32.const -16))))
    (local.set $end (i32.add (i32.const 256) (local.get $len)))
    (if (i32.ne (local.get $full) (local.get $end))
      (then
        (i32.store8 (local.get $end) (i32.const 1))
        (local.set $i (i32.add (local.get $end) (i32.const 1)))
        (block $done
          (loop $zero
            (br_if $done (i32.ge_u (local.get $i) (i32.add (local.get $full) (i32.const 16))))
            (i32.store8 (local.get $i) (i32.const 0))
            (local.set $i (i32.add (local.get $i) (i32.const 1)))
            (br $zero)))
        (local.set $end (i32.add (local.get $full) (i32.const 16)))))
    (local.set $p (i32.const 256))

    (if (i32.ge_u (local.get $len) (global.get $SIMD_MIN))
      (then
        ;; the power table: r, r^2 = r*r, r^3 = r^2*r, r^4 = r^2*r^2
        (call $store5 (i32.const 128)
          (local.get $r0) (local.get $r1) (local.get $r2) (local.get $r3) (local.get $r4))
        (call $store5 (i32.const 160) (call $mul
          (local.get $r0) (local.get $r1) (local.get $r2) (local.get $r3) (local.get $r4)
          (local.get $r0) (local.get $r1) (local.get $r2) (local.get $r3) (local.get $r4)))
        (call $store5 (i32.const 192) (call $mul
          (i64.load32_u offset=160 (i32.const 0)) (i64.load32_u offset=164 (i32.const 0))
          (i64.load32_u offset=168 (i32.const 0)) (i64.load32_u offset=172 (i32.const 0))
          (i64.load32_u offset=176 (i32.const 0))
          (local.get $r0) (local.get $r1) (local.get $r2) (local.get $r3) (local.get $r4)))
        (call $store5 (i32.const 224) (call $mul
          (i64.load32_u offset=160 (i32.const 0)) (i64.load32_u offset=164 (i32.const 0))
          (i64.load32_u offset=168 (i32.const 0)) (i64.load32_u offset=172 (i32.const 0))
          (i64.load32_u offset=176 (i32.const 0))
          (i64.load32_u offset=160 (i32.const 0)) (i64.load32_u offset=164 (i32.const 0))
          (i64.load32_u offset=168 (i32.const 0)) (i64.load32_u offset=172 (i32.const 0))
          (i64.load32_u offset=176 (i32.const 0))))
        ;; every step but the last multiplies all lanes by r^4
        (local.set $R0 (v128.load32_splat offset=224 (i32.const 0)))
        (local.set $R1 (v128.load32_splat offset=228 (i32.const 0)))
        (local.set $R2 (v128.load32_splat offset=232 (i32.const 0)))
        (local.set $R3 (v128.load32_splat offset=236 (i32.const 0)))
        (local.set $R4 (v128.load32_splat offset=240 (i32.const 0)))
        (local.set $simdEnd (i32.add (i32.const 256) (i32.and (local.get $len) (i32.const -64))))
        (loop $steps
          (if (i32.eq (i32.add (local.get $p) (i32.const 64)) (local.get $simdEnd))
            (then
              (local.set $R0 (call $powers (i32.const 0)))
              (local.set $R1 (call $powers (i32.const 4)))
              (local.set $R2 (call $powers (i32.const 8)))
              (local.set $R3 (call $powers (i32.const 12)))
              (local.set $R4 (call $powers (i32.const 16)))))
          ;; S = 5R (exact: R limbs < 2^27). Recomputed per step: measured no slower than
          ;; keeping nine multiplier vectors live across the loop.
          (local.set $S1 (i32x4.add (local.get $R1) (i32x4.shl (local.get $R1) (i32.const 2))))
          (local.set $S2 (i32x4.add (local.get $R2) (i32x4.shl (local.get $R2) (i32.const 2))))
          (local.set $S3 (i32x4.add (local.get $R3) (i32x4.shl (local.get $R3) (i32.const 2))))
          (local.set $S4 (i32x4.add (local.get $R4) (i32x4.shl (local.get $R4) (i32.const 2))))
          ;; Transpose four blocks so that T_k holds 32-bit word k of blocks 0..3.
          (local.set $B0 (v128.load offset=0 (local.get $p)))
          (local.set $B1 (v128.load offset=16 (local.get $p)))
          (local.set $B2 (v128.load offset=32 (local.get $p)))
          (local.set $B3 (v128.load offset=48 (local.get $p)))
          ;; [a0 b0 a1 b1], [a2 b2 a3 b3], [c0 d0 c1 d1], [c2 d2 c3 d3]
          (local.set $T0 (i8x16.shuffle 0 1 2 3 16 17 18 19 4 5 6 7 20 21 22 23
            (local.get $B0) (local.get $B1)))
          (local.set $T1 (i8x16.shuffle 8 9 10 11 24 25 26 27 12 13 14 15 28 29 30 31
            (local.get $B0) (local.get $B1)))
          (local.set $T2 (i8x16.shuffle 0 1 2 3 16 17 18 19 4 5 6 7 20 21 22 23
            (local.get $B2) (local.get $B3)))
          (local.set $T3 (i8x16.shuffle 8 9 10 11 24 25 26 27 12 13 14 15 28 29 30 31
            (local.get $B2) (local.get $B3)))
          ;; words 0..3 of the four blocks: [a0 b0 c0 d0], [a1 b1 c1 d1], ...
          (local.set $B0 (i8x16.shuffle 0 1 2 3 4 5 6 7 16 17 18 19 20 21 22 23
            (local.get $T0) (local.get $T2)))
          (local.set $B1 (i8x16.shuffle 8 9 10 11 12 13 14 15 24 25 26 27 28 29 30 31
            (local.get $T0) (local.get $T2)))
          (local.set $B2 (i8x16.shuffle 0 1 2 3 4 5 6 7 16 17 18 19 20 21 22 23
            (local.get $T1) (local.get $T3)))
          (local.set $B3 (i8x16.shuffle 8 9 10 11 12 13 14 15 24 25 26 27 28 29 30 31
            (local.get $T1) (local.get $T3)))
          ;; H + message limbs; full blocks carry the 2^128 bit (2^24 in limb 4)
          (local.set $M0 (i32x4.add (local.get $H0)
            (v128.and (local.get $B0) (v128.const i32x4 0x3ffffff 0x3ffffff 0x3ffffff 0x3ffffff))))
          (local.set $M1 (i32x4.add (local.get $H1)
            (v128.and (v128.or (i32x4.shr_u (local.get $B0) (i32.const 26))
                               (i32x4.shl (local.get $B1) (i32.const 6)))
              (v128.const i32x4 0x3ffffff 0x3ffffff 0x3ffffff 0x3ffffff))))
          (local.set $M2 (i32x4.add (local.get $H2)
            (v128.and (v128.or (i32x4.shr_u (local.get $B1) (i32.const 20))
                               (i32x4.shl (local.get $B2) (i32.const 12)))
              (v128.const i32x4 0x3ffffff 0x3ffffff 0x3ffffff 0x3ffffff))))
          (local.set $M3 (i32x4.add (local.get $H3)
            (v128.and (v128.or (i32x4.shr_u (local.get $B2) (i32.const 14))
                               (i32x4.shl (local.get $B3) (i32.const 18)))
              (v128.const i32x4 0x3ffffff 0x3ffffff 0x3ffffff 0x3ffffff))))
          (local.set $M4 (i32x4.add (local.get $H4)
            (v128.or (i32x4.shr_u (local.get $B3) (i32.const 8))
              (v128.const i32x4 0x1000000 0x1000000 0x1000000 0x1000000))))
          ;; D = (H + M) * R, lanes 0-1 with extmul_low and lanes 2-3 with extmul_high
          (local.set $D0l (i64x2.add (i64x2.add (i64x2.add (i64x2.add
            (i64x2.extmul_low_i32x4_u (local.get $M0) (local.get $R0))
            (i64x2.extmul_low_i32x4_u (local.get $M1) (local.get $S4)))
            (i64x2.extmul_low_i32x4_u (local.get $M2) (local.get $S3)))
            (i64x2.extmul_low_i32x4_u (local.get $M3) (local.get $S2)))
            (i64x2.extmul_low_i32x4_u (local.get $M4) (local.get $S1))))
          (local.set $D0h (i64x2.add (i64x2.add (i64x2.add (i64x2.add
            (i64x2.extmul_high_i32x4_u (local.get $M0) (local.get $R0))
            (i64x2.extmul_high_i32x4_u (local.get $M1) (local.get $S4)))
            (i64x2.extmul_high_i32x4_u (local.get $M2) (local.get $S3)))
            (i64x2.extmul_high_i32x4_u (local.get $M3) (local.get $S2)))
            (i64x2.extmul_high_i32x4_u (local.get $M4) (local.get $S1))))
          (local.set $D1l (i64x2.add (i64x2.add (i64x2.add (i64x2.add
            (i64x2.extmul_low_i32x4_u (local.get $M0) (local.get $R1))
            (i64x2.extmul_low_i32x4_u (local.get $M1) (local.get $R0)))
            (i64x2.extmul_low_i32x4_u (local.get $M2) (local.get $S4)))
            (i64x2.extmul_low_i32x4_u (local.get $M3) (local.get $S3)))
            (i64x2.extmul_low_i32x4_u (local.get $M4) (local.get $S2))))
          (local.set $D1h (i64x2.add (i64x2.add (i64x2.add (i64x2.add
            (i64x2.extmul_high_i32x4_u (local.get $M0) (local.get $R1))
            (i64x2.extmul_high_i32x4_u (local.get $M1) (local.get $R0)))
            (i64x2.extmul_high_i32x4_u (local.get $M2) (local.get $S4)))
            (i64x2.extmul_high_i32x4_u (local.get $M3) (local.get $S3)))
            (i64x2.extmul_high_i32x4_u (local.get $M4) (local.get $S2))))
          (local.set $D2l (i64x2.add (i64x2.add (i64x2.add (i64x2.add
            (i64x2.extmul_low_i32x4_u (local.get $M0) (local.get $R2))
            (i64x2.extmul_low_i32x4_u (local.get $M1) (local.get $R1)))
            (i64x2.extmul_low_i32x4_u (local.get $M2) (local.get $R0)))
            (i64x2.extmul_low_i32x4_u (local.get $M3) (local.get $S4)))
            (i64x2.extmul_low_i32x4_u (local.get $M4) (local.get $S3))))
          (local.set $D2h (i64x2.add (i64x2.add (i64x2.add (i64x2.add
            (i64x2.extmul_high_i32x4_u (local.get $M0) (local.get $R2))
            (i64x2.extmul_high_i32x4_u (local.get $M1) (local.get $R1)))
            (i64x2.extmul_high_i32x4_u (local.get $M2) (local.get $R0)))
            (i64x2.extmul_high_i32x4_u (local.get $M3) (local.get $S4)))
            (i64x2.extmul_high_i32x4_u (local.get $M4) (local.get $S3))))
          (local.set $D3l (i64x2.add (i64x2.add (i64x2.add (i64x2.add
            (i64x2.extmul_low_i32x4_u (local.get $M0) (local.get $R3))
            (i64x2.extmul_low_i32x4_u (local.get $M1) (local.get $R2)))
            (i64x2.extmul_low_i32x4_u (local.get $M2) (local.get $R1)))
            (i64x2.extmul_low_i32x4_u (local.get $M3) (local.get $R0)))
            (i64x2.extmul_low_i32x4_u (local.get $M4) (local.get $S4))))
          (local.set $D3h (i64x2.add (i64x2.add (i64x2.add (i64x2.add
            (i64x2.extmul_high_i32x4_u (local.get $M0) (local.get $R3))
            (i64x2.extmul_high_i32x4_u (local.get $M1) (local.get $R2)))
            (i64x2.extmul_high_i32x4_u (local.get $M2) (local.get $R1)))
            (i64x2.extmul_high_i32x4_u (local.get $M3) (local.get $R0)))
            (i64x2.extmul_high_i32x4_u (local.get $M4) (local.get $S4))))
          (local.set $D4l (i64x2.add (i64x2.add (i64x2.add (i64x2.add
            (i64x2.extmul_low_i32x4_u (local.get $M0) (local.get $R4))
            (i64x2.extmul_low_i32x4_u (local.get $M1) (local.get $R3)))
            (i64x2.extmul_low_i32x4_u (local.get $M2) (local.get $R2)))
            (i64x2.extmul_low_i32x4_u (local.get $M3) (local.get $R1)))
            (i64x2.extmul_low_i32x4_u (local.get $M4) (local.get $R0))))
          (local.set $D4h (i64x2.add (i64x2.add (i64x2.add (i64x2.add
            (i64x2.extmul_high_i32x4_u (local.get $M0) (local.get $R4))
            (i64x2.extmul_high_i32x4_u (local.get $M1) (local.get $R3)))
            (i64x2.extmul_high_i32x4_u (local.get $M2) (local.get $R2)))
            (i64x2.extmul_high_i32x4_u (local.get $M3) (local.get $R1)))
            (i64x2.extmul_high_i32x4_u (local.get $M4) (local.get $R0))))
          ;; Partial carry, one chain 0->1->2->3->4->0->1 (throughput, not latency, limits this
          ;; loop: the lo and hi halves and the next step's loads are independent work). Only
          ;; limbs 0 and 1 are masked here, because they take a second carry later; the others
          ;; are masked after narrowing, where one i32x4 op does both halves.
          (local.set $Cl (i64x2.shr_u (local.get $D0l) (i32.const 26)))
          (local.set $Ch (i64x2.shr_u (local.get $D0h) (i32.const 26)))
          (local.set $D0l (v128.and (local.get $D0l) (v128.const i64x2 0x3ffffff 0x3ffffff)))
          (local.set $D0h (v128.and (local.get $D0h) (v128.const i64x2 0x3ffffff 0x3ffffff)))
          (local.set $D1l (i64x2.add (local.get $D1l) (local.get $Cl)))
          (local.set $D1h (i64x2.add (local.get $D1h) (local.get $Ch)))
          (local.set $Cl (i64x2.shr_u (local.get $D1l) (i32.const 26)))
          (local.set $Ch (i64x2.shr_u (local.get $D1h) (i32.const 26)))
          (local.set $D1l (v128.and (local.get $D1l) (v128.const i64x2 0x3ffffff 0x3ffffff)))
          (local.set $D1h (v128.and (local.get $D1h) (v128.const i64x2 0x3ffffff 0x3ffffff)))
          (local.set $D2l (i64x2.add (local.get $D2l) (local.get $Cl)))
          (local.set $D2h (i64x2.add (local.get $D2h) (local.get $Ch)))
          (local.set $D3l (i64x2.add (local.get $D3l) (i64x2.shr_u (local.get $D2l) (i32.const 26))))
          (local.set $D3h (i64x2.add (local.get $D3h) (i64x2.shr_u (local.get $D2h) (i32.const 26))))
          (local.set $D4l (i64x2.add (local.get $D4l) (i64x2.shr_u (local.get $D3l) (i32.const 26))))
          (local.set $D4h (i64x2.add (local.get $D4h) (i64x2.shr_u (local.get $D3h) (i32.const 26))))
          ;; the carry out of limb 4 wraps to limb 0 times 5 (2^130 = 5 mod p)
          (local.set $Cl (i64x2.shr_u (local.get $D4l) (i32.const 26)))
          (local.set $Ch (i64x2.shr_u (local.get $D4h) (i32.const 26)))
          (local.set $D0l (i64x2.add (local.get $D0l)
            (i64x2.add (local.get $Cl) (i64x2.shl (local.get $Cl) (i32.const 2)))))
          (local.set $D0h (i64x2.add (local.get $D0h)
            (i64x2.add (local.get $Ch) (i64x2.shl (local.get $Ch) (i32.const 2)))))
          (local.set $D1l (i64x2.add (local.get $D1l) (i64x2.shr_u (local.get $D0l) (i32.const 26))))
          (local.set $D1h (i64x2.add (local.get $D1h) (i64x2.shr_u (local.get $D0h) (i32.const 26))))
          ;; Back to one i32x4 per limb (the low 32 bits of lanes 0, 1 from lo and 2, 3 from hi),
          ;; masking limbs 0, 2, 3, 4 to 26 bits. Limb 1 may exceed 2^26 by at most 2^9, which
          ;; the next step's bounds allow (sums of five products stay below 2^58).
          (local.set $H0 (v128.and (i8x16.shuffle 0 1 2 3 8 9 10 11 16 17 18 19 24 25 26 27
            (local.get $D0l) (local.get $D0h))
            (v128.const i32x4 0x3ffffff 0x3ffffff 0x3ffffff 0x3ffffff)))
          (local.set $H1 (i8x16.shuffle 0 1 2 3 8 9 10 11 16 17 18 19 24 25 26 27
            (local.get $D1l) (local.get $D1h)))
          (local.set $H2 (v128.and (i8x16.shuffle 0 1 2 3 8 9 10 11 16 17 18 19 24 25 26 27
            (local.get $D2l) (local.get $D2h))
            (v128.const i32x4 0x3ffffff 0x3ffffff 0x3ffffff 0x3ffffff)))
          (local.set $H3 (v128.and (i8x16.shuffle 0 1 2 3 8 9 10 11 16 17 18 19 24 25 26 27
            (local.get $D3l) (local.get $D3h))
            (v128.const i32x4 0x3ffffff 0x3ffffff 0x3ffffff 0x3ffffff)))
          (local.set $H4 (v128.and (i8x16.shuffle 0 1 2 3 8 9 10 11 16 17 18 19 24 25 26 27
            (local.get $D4l) (local.get $D4h))
            (v128.const i32x4 0x3ffffff 0x3ffffff 0x3ffffff 0x3ffffff)))
          (local.set $p (i32.add (local.get $p) (i32.const 64)))
          (br_if $steps (i32.lt_u (local.get $p) (local.get $simdEnd))))
        ;; h = the sum of the four lanes (limbs at most 4 * (2^26 + 2^9), just over 2^28)
        (local.set $h0 (call $lanesum (local.get $H0)))
        (local.set $h1 (call $lanesum (local.get $H1)))
        (local.set $h2 (call $lanesum (local.get $H2)))
        (local.set $h3 (call $lanesum (local.get $H3)))
        (local.set $h4 (call $lanesum (local.get $H4)))))

    ;; The scalar loop: h = (h + block) * r for the blocks SIMD left over (or all of them).
    (block $out
      (loop $blocks
        (br_if $out (i32.ge_u (local.get $p) (local.get $end)))
        ;; full blocks carry the 2^128 bit; the padded final block does not
        (local.set $hibit
          (select (i64.const 0x1000000) (i64.const 0) (i32.lt_u (local.get $p) (local.get $full))))
        (call $mul
          (i64.add (local.get $h0)
            (i64.and (i64.load32_u (local.get $p)) (i64.const 0x3ffffff)))
          (i64.add (local.get $h1)
            (i64.and (i64.shr_u (i64.load32_u offset=3 (local.get $p)) (i64.const 2)) (i64.const 0x3ffffff)))
          (i64.add (local.get $h2)
            (i64.and (i64.shr_u (i64.load32_u offset=6 (local.get $p)) (i64.const 4)) (i64.const 0x3ffffff)))
          (i64.add (local.get $h3)
            (i64.and (i64.shr_u (i64.load32_u offset=9 (local.get $p)) (i64.const 6)) (i64.const 0x3ffffff)))
          (i64.add (local.get $h4)
            (i64.or (i64.shr_u (i64.load32_u offset=12 (local.get $p)) (i64.const 8)) (local.get $hibit)))
          (local.get $r0) (local.get $r1) (local.get $r2) (local.get $r3) (local.get $r4))
        (local.set $h4) (local.set $h3) (local.set $h2) (local.set $h1) (local.set $h0)
        (local.set $p (i32.add (local.get $p) (i32.const 16)))
        (br $blocks)))

    ;; Full carry, twice: limbs may enter just over 2^28 (the SIMD lane sum); after the first pass
    ;; all are below 2^26 but limb 0 may exceed it by 5 * (carry out of limb 4).
    (local.set $i (i32.const 2))
    (loop $carry
      (local.set $c (i64.shr_u (local.get $h0) (i64.const 26)))
      (local.set $h0 (i64.and (local.get $h0) (i64.const 0x3ffffff)))
      (local.set $h1 (i64.add (local.get $h1) (local.get $c)))
      (local.set $c (i64.shr_u (local.get $h1) (i64.const 26)))
      (local.set $h1 (i64.and (local.get $h1) (i64.const 0x3ffffff)))
      (local.set $h2 (i64.add (local.get $h2) (local.get $c)))
      (local.set $c (i64.shr_u (local.get $h2) (i64.const 26)))
      (local.set $h2 (i64.and (local.get $h2) (i64.const 0x3ffffff)))
      (local.set $h3 (i64.add (local.get $h3) (local.get $c)))
      (local.set $c (i64.shr_u (local.get $h3) (i64.const 26)))
      (local.set $h3 (i64.and (local.get $h3) (i64.const 0x3ffffff)))
      (local.set $h4 (i64.add (local.get $h4) (local.get $c)))
      (local.set $c (i64.shr_u (local.get $h4) (i64.const 26)))
      (local.set $h4 (i64.and (local.get $h4) (i64.const 0x3ffffff)))
      (local.set $h0 (i64.add (local.get $h0) (i64.mul (local.get $c) (i64.const 5))))
      (local.set $i (i32.sub (local.get $i) (i32.const 1)))
      (br_if $carry (local.get $i)))
    ;; Now h < 2^130 + 5 and only limb 0 may still be 2^26 or more, by less than 5 at the
    ;; second pass. The packing below adds limbs rather than OR-ing them, so that is fine.
    ;; g = h + 5 - 2^130; use it when it is not negative (h >= p), without branches
    (local.set $g0 (i64.add (local.get $h0) (i64.const 5)))
    (local.set $c (i64.shr_u (local.get $g0) (i64.const 26)))
    (local.set $g0 (i64.and (local.get $g0) (i64.const 0x3ffffff)))
    (local.set $g1 (i64.add (local.get $h1) (local.get $c)))
    (local.set $c (i64.shr_u (local.get $g1) (i64.const 26)))
    (local.set $g1 (i64.and (local.get $g1) (i64.const 0x3ffffff)))
    (local.set $g2 (i64.add (local.get $h2) (local.get $c)))
    (local.set $c (i64.shr_u (local.get $g2) (i64.const 26)))
    (local.set $g2 (i64.and (local.get $g2) (i64.const 0x3ffffff)))
    (local.set $g3 (i64.add (local.get $h3) (local.get $c)))
    (local.set $c (i64.shr_u (local.get $g3) (i64.const 26)))
    (local.set $g3 (i64.and (local.get $g3) (i64.const 0x3ffffff)))
    (local.set $g4 (i64.sub (i64.add (local.get $h4) (local.get $c)) (i64.const 0x4000000)))
    ;; mask = all ones when g4 >= 0 (h >= p), else 0
    (local.set $mask (i64.sub (i64.shr_u (local.get $g4) (i64.const 63)) (i64.const 1)))
    (local.set $h0 (i64.or (i64.and (local.get $g0) (local.get $mask))
      (i64.and (local.get $h0) (i64.xor (local.get $mask) (i64.const -1)))))
    (local.set $h1 (i64.or (i64.and (local.get $g1) (local.get $mask))
      (i64.and (local.get $h1) (i64.xor (local.get $mask) (i64.const -1)))))
    (local.set $h2 (i64.or (i64.and (local.get $g2) (local.get $mask))
      (i64.and (local.get $h2) (i64.xor (local.get $mask) (i64.const -1)))))
    (local.set $h3 (i64.or (i64.and (local.get $g3) (local.get $mask))
      (i64.and (local.get $h3) (i64.xor (local.get $mask) (i64.const -1)))))
    (local.set $h4 (i64.or (i64.and (local.get $g4) (local.get $mask))
      (i64.and (local.get $h4) (i64.xor (local.get $mask) (i64.const -1)))))
    ;; tag = (h + s) mod 2^128, 32 bits at a time: f carries both the limbs' bits above each
    ;; word and the carry of the addition into the next word
    (local.set $f (i64.add (i64.add (local.get $h0) (i64.shl (local.get $h1) (i64.const 26)))
      (i64.load32_u (i32.const 16))))
    (i64.store32 (i32.const 32) (local.get $f))
    (local.set $f (i64.add (i64.add (i64.shr_u (local.get $f) (i64.const 32))
      (i64.shl (local.get $h2) (i64.const 20))) (i64.load32_u (i32.const 20))))
    (i64.store32 (i32.const 36) (local.get $f))
    (local.set $f (i64.add (i64.add (i64.shr_u (local.get $f) (i64.const 32))
      (i64.shl (local.get $h3) (i64.const 14))) (i64.load32_u (i32.const 24))))
    (i64.store32 (i32.const 40) (local.get $f))
    (local.set $f (i64.add (i64.add (i64.shr_u (local.get $f) (i64.const 32))
      (i64.shl (local.get $h4) (i64.const 8))) (i64.load32_u (i32.const 28))))
    (i64.store32 (i32.const 44) (local.get $f))))
