;; Keyframe reconstruction: q (u16, x y z per node) to float32 positions, min + q * step per axis,
;; computed in float64 and rounded once to float32, which is exactly what the JavaScript path
;; (apply.ts, and the encoder's mirror of the subscriber) computes, so both agree bit for bit.
;; Twelve values (four nodes) a step: the axes cycle x y z over the lanes, so the float64 pairs
;; take their min and step from three patterns, (x, y), (z, x) and (y, z).
;;
;; Memory is the caller's to lay out: q holds count u16 (count a multiple of 3), out count f32.
(module
  (memory (export "memory") 1)
  (func (export "dequantise")
    (param $q i32) (param $count i32) (param $out i32)
    (param $mx f64) (param $my f64) (param $mz f64) (param $sx f64) (param $sy f64) (param $sz f64)
    (local $end i32) (local $xy_m v128) (local $zx_m v128) (local $yz_m v128) (local $xy_s v128) (local $zx_s v128) (local $yz_s v128)
    (local $a v128) (local $b v128) (local $c v128) (local $k i32) (local $axis i32)
    (local.set $xy_m (f64x2.replace_lane 1 (f64x2.splat (local.get $mx)) (local.get $my)))
    (local.set $zx_m (f64x2.replace_lane 1 (f64x2.splat (local.get $mz)) (local.get $mx)))
    (local.set $yz_m (f64x2.replace_lane 1 (f64x2.splat (local.get $my)) (local.get $mz)))
    (local.set $xy_s (f64x2.replace_lane 1 (f64x2.splat (local.get $sx)) (local.get $sy)))
    (local.set $zx_s (f64x2.replace_lane 1 (f64x2.splat (local.get $sz)) (local.get $sx)))
    (local.set $yz_s (f64x2.replace_lane 1 (f64x2.splat (local.get $sy)) (local.get $sz)))
    (local.set $end (i32.sub (local.get $count) (i32.rem_u (local.get $count) (i32.const 12))))
    (block $done
      (loop $loop
        (br_if $done (i32.ge_u (local.get $k) (local.get $end)))
        ;; 12 u16 -> three i32x4
        (local.set $a (v128.load align=2 (local.get $q)))
        (local.set $c (v128.load64_zero offset=16 align=2 (local.get $q)))
        (local.set $b (i32x4.extend_high_i16x8_u (local.get $a)))
        (local.set $a (i32x4.extend_low_i16x8_u (local.get $a)))
        (local.set $c (i32x4.extend_low_i16x8_u (local.get $c)))
        ;; values 0-3 (x y z x)
        (v128.store align=4 (local.get $out)
          (i8x16.shuffle 0 1 2 3 4 5 6 7 16 17 18 19 20 21 22 23
            (f32x4.demote_f64x2_zero (f64x2.add (local.get $xy_m) (f64x2.mul (f64x2.convert_low_i32x4_u (local.get $a)) (local.get $xy_s))))
            (f32x4.demote_f64x2_zero (f64x2.add (local.get $zx_m) (f64x2.mul (f64x2.convert_low_i32x4_u (i8x16.shuffle 8 9 10 11 12 13 14 15 0 0 0 0 0 0 0 0 (local.get $a) (local.get $a))) (local.get $zx_s))))))
        ;; values 4-7 (y z x y)
        (v128.store offset=16 align=4 (local.get $out)
          (i8x16.shuffle 0 1 2 3 4 5 6 7 16 17 18 19 20 21 22 23
            (f32x4.demote_f64x2_zero (f64x2.add (local.get $yz_m) (f64x2.mul (f64x2.convert_low_i32x4_u (local.get $b)) (local.get $yz_s))))
            (f32x4.demote_f64x2_zero (f64x2.add (local.get $xy_m) (f64x2.mul (f64x2.convert_low_i32x4_u (i8x16.shuffle 8 9 10 11 12 13 14 15 0 0 0 0 0 0 0 0 (local.get $b) (local.get $b))) (local.get $xy_s))))))
        ;; values 8-11 (z x y z)
        (v128.store offset=32 align=4 (local.get $out)
          (i8x16.shuffle 0 1 2 3 4 5 6 7 16 17 18 19 20 21 22 23
            (f32x4.demote_f64x2_zero (f64x2.add (local.get $zx_m) (f64x2.mul (f64x2.convert_low_i32x4_u (local.get $c)) (local.get $zx_s))))
            (f32x4.demote_f64x2_zero (f64x2.add (local.get $yz_m) (f64x2.mul (f64x2.convert_low_i32x4_u (i8x16.shuffle 8 9 10 11 12 13 14 15 0 0 0 0 0 0 0 0 (local.get $c) (local.get $c))) (local.get $yz_s))))))
        (local.set $k (i32.add (local.get $k) (i32.const 12)))
        (local.set $q (i32.add (local.get $q) (i32.const 24)))
        (local.set $out (i32.add (local.get $out) (i32.const 48)))
        (br $loop)))
    ;; the last count mod 12 values, one node at a time
    (block $tdone
      (loop $tail
        (br_if $tdone (i32.ge_u (local.get $k) (local.get $count)))
        (f32.store (local.get $out) (f32.demote_f64 (f64.add (local.get $mx) (f64.mul (f64.convert_i32_u (i32.load16_u (local.get $q))) (local.get $sx)))))
        (f32.store offset=4 (local.get $out) (f32.demote_f64 (f64.add (local.get $my) (f64.mul (f64.convert_i32_u (i32.load16_u offset=2 (local.get $q))) (local.get $sy)))))
        (f32.store offset=8 (local.get $out) (f32.demote_f64 (f64.add (local.get $mz) (f64.mul (f64.convert_i32_u (i32.load16_u offset=4 (local.get $q))) (local.get $sz)))))
        (local.set $k (i32.add (local.get $k) (i32.const 3)))
        (local.set $q (i32.add (local.get $q) (i32.const 6)))
        (local.set $out (i32.add (local.get $out) (i32.const 12)))
        (br $tail)))))
