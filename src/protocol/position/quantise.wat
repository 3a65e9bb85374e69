;; Keyframe quantisation: float32 positions (x y z per node) to u16 against a box, per value
;;   q = trunc((p - min) * scale + 0.5)          (float64, as the JavaScript path computes it)
;; while also gathering, per lane, the smallest and largest values (pmin/pmax: "v < acc ? v : acc",
;; the JavaScript comparison, so a NaN never enters) and whether every value lies within the
;; check box [lo, hi] (a NaN does not). Twelve values (four nodes) a step, so count must be a
;; multiple of 12; the caller does the rest. Lanes cycle through the axes: the three vectors of a
;; step hold (x y z x), (y z x y), (z x y z), and the float64 halves (x y), (z x), (y z) and so on.
;;
;; Memory is the caller's: pos holds count f32, q count u16, acc 96 bytes (min then max, three
;; vectors each, in lane order). Returns 1 when every value was within the check box.
(module
  (memory (export "memory") 1)
  (func (export "quantise")
    (param $pos i32) (param $count i32) (param $q i32) (param $acc i32)
    (param $mx f64) (param $my f64) (param $mz f64) (param $sx f64) (param $sy f64) (param $sz f64)
    (param $lx f32) (param $ly f32) (param $lz f32) (param $hx f32) (param $hy f32) (param $hz f32)
    (result i32)
    (local $k i32)
    (local $mxy v128) (local $mzx v128) (local $myz v128) (local $sxy v128) (local $szx v128) (local $syz v128)
    (local $lo0 v128) (local $lo1 v128) (local $lo2 v128) (local $hi0 v128) (local $hi1 v128) (local $hi2 v128)
    (local $min0 v128) (local $min1 v128) (local $min2 v128) (local $max0 v128) (local $max1 v128) (local $max2 v128)
    (local $ok v128) (local $a v128) (local $b v128) (local $c v128) (local $half v128)
    (local.set $half (f64x2.splat (f64.const 0.5)))
    (local.set $mxy (f64x2.replace_lane 1 (f64x2.splat (local.get $mx)) (local.get $my)))
    (local.set $mzx (f64x2.replace_lane 1 (f64x2.splat (local.get $mz)) (local.get $mx)))
    (local.set $myz (f64x2.replace_lane 1 (f64x2.splat (local.get $my)) (local.get $mz)))
    (local.set $sxy (f64x2.replace_lane 1 (f64x2.splat (local.get $sx)) (local.get $sy)))
    (local.set $szx (f64x2.replace_lane 1 (f64x2.splat (local.get $sz)) (local.get $sx)))
    (local.set $syz (f64x2.replace_lane 1 (f64x2.splat (local.get $sy)) (local.get $sz)))
    ;; check-box patterns (x y z x), (y z x y), (z x y z)
    (local.set $lo0 (f32x4.replace_lane 3 (f32x4.replace_lane 2 (f32x4.replace_lane 1 (f32x4.splat (local.get $lx)) (local.get $ly)) (local.get $lz)) (local.get $lx)))
    (local.set $lo1 (f32x4.replace_lane 3 (f32x4.replace_lane 2 (f32x4.replace_lane 1 (f32x4.splat (local.get $ly)) (local.get $lz)) (local.get $lx)) (local.get $ly)))
    (local.set $lo2 (f32x4.replace_lane 3 (f32x4.replace_lane 2 (f32x4.replace_lane 1 (f32x4.splat (local.get $lz)) (local.get $lx)) (local.get $ly)) (local.get $lz)))
    (local.set $hi0 (f32x4.replace_lane 3 (f32x4.replace_lane 2 (f32x4.replace_lane 1 (f32x4.splat (local.get $hx)) (local.get $hy)) (local.get $hz)) (local.get $hx)))
    (local.set $hi1 (f32x4.replace_lane 3 (f32x4.replace_lane 2 (f32x4.replace_lane 1 (f32x4.splat (local.get $hy)) (local.get $hz)) (local.get $hx)) (local.get $hy)))
    (local.set $hi2 (f32x4.replace_lane 3 (f32x4.replace_lane 2 (f32x4.replace_lane 1 (f32x4.splat (local.get $hz)) (local.get $hx)) (local.get $hy)) (local.get $hz)))
    (local.set $min0 (f32x4.splat (f32.const inf)))
    (local.set $min1 (local.get $min0))
    (local.set $min2 (local.get $min0))
    (local.set $max0 (f32x4.splat (f32.const -inf)))
    (local.set $max1 (local.get $max0))
    (local.set $max2 (local.get $max0))
    (local.set $ok (i32x4.splat (i32.const -1)))
    (block $done
      (loop $step
        (br_if $done (i32.ge_u (local.get $k) (local.get $count)))
        (local.set $a (v128.load align=4 (local.get $pos)))
        (local.set $b (v128.load offset=16 align=4 (local.get $pos)))
        (local.set $c (v128.load offset=32 align=4 (local.get $pos)))
        (local.set $min0 (f32x4.pmin (local.get $min0) (local.get $a)))
        (local.set $min1 (f32x4.pmin (local.get $min1) (local.get $b)))
        (local.set $min2 (f32x4.pmin (local.get $min2) (local.get $c)))
        (local.set $max0 (f32x4.pmax (local.get $max0) (local.get $a)))
        (local.set $max1 (f32x4.pmax (local.get $max1) (local.get $b)))
        (local.set $max2 (f32x4.pmax (local.get $max2) (local.get $c)))
        (local.set $ok
          (v128.and (local.get $ok)
            (v128.and
              (v128.and
                (v128.and (f32x4.ge (local.get $a) (local.get $lo0)) (f32x4.le (local.get $a) (local.get $hi0)))
                (v128.and (f32x4.ge (local.get $b) (local.get $lo1)) (f32x4.le (local.get $b) (local.get $hi1))))
              (v128.and (f32x4.ge (local.get $c) (local.get $lo2)) (f32x4.le (local.get $c) (local.get $hi2))))))
        ;; values 0-7 (x y z x | y z x y), then 8-11 (z x y z)
        (v128.store align=2 (local.get $q)
          (i16x8.narrow_i32x4_u
(i8x16.shuffle 0 1 2 3 4 5 6 7 16 17 18 19 20 21 22 23
              (i32x4.trunc_sat_f64x2_s_zero
                (f64x2.add (f64x2.mul (f64x2.sub (f64x2.promote_low_f32x4 (local.get $a)) (local.get $mxy)) (local.get $sxy)) (local.get $half)))
              (i32x4.trunc_sat_f64x2_s_zero
                (f64x2.add (f64x2.mul (f64x2.sub (f64x2.promote_low_f32x4 (i8x16.shuffle 8 9 10 11 12 13 14 15 0 1 2 3 4 5 6 7 (local.get $a) (local.get $a))) (local.get $mzx)) (local.get $szx)) (local.get $half))))
            (i8x16.shuffle 0 1 2 3 4 5 6 7 16 17 18 19 20 21 22 23
              (i32x4.trunc_sat_f64x2_s_zero
                (f64x2.add (f64x2.mul (f64x2.sub (f64x2.promote_low_f32x4 (local.get $b)) (local.get $myz)) (local.get $syz)) (local.get $half)))
              (i32x4.trunc_sat_f64x2_s_zero
                (f64x2.add (f64x2.mul (f64x2.sub (f64x2.promote_low_f32x4 (i8x16.shuffle 8 9 10 11 12 13 14 15 0 1 2 3 4 5 6 7 (local.get $b) (local.get $b))) (local.get $mxy)) (local.get $sxy)) (local.get $half))))))
        (v128.store64_lane offset=16 align=2 0 (local.get $q)
          (i16x8.narrow_i32x4_u
(i8x16.shuffle 0 1 2 3 4 5 6 7 16 17 18 19 20 21 22 23
              (i32x4.trunc_sat_f64x2_s_zero
                (f64x2.add (f64x2.mul (f64x2.sub (f64x2.promote_low_f32x4 (local.get $c)) (local.get $mzx)) (local.get $szx)) (local.get $half)))
              (i32x4.trunc_sat_f64x2_s_zero
                (f64x2.add (f64x2.mul (f64x2.sub (f64x2.promote_low_f32x4 (i8x16.shuffle 8 9 10 11 12 13 14 15 0 1 2 3 4 5 6 7 (local.get $c) (local.get $c))) (local.get $myz)) (local.get $syz)) (local.get $half))))
            (v128.const i32x4 0 0 0 0)))
        (local.set $k (i32.add (local.get $k) (i32.const 12)))
        (local.set $pos (i32.add (local.get $pos) (i32.const 48)))
        (local.set $q (i32.add (local.get $q) (i32.const 24)))
        (br $step)))
    (v128.store (local.get $acc) (local.get $min0))
    (v128.store offset=16 (local.get $acc) (local.get $min1))
    (v128.store offset=32 (local.get $acc) (local.get $min2))
    (v128.store offset=48 (local.get $acc) (local.get $max0))
    (v128.store offset=64 (local.get $acc) (local.get $max1))
    (v128.store offset=80 (local.get $acc) (local.get $max2))
    (i32x4.all_true (local.get $ok))))
