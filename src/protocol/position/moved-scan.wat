;; The delta encoder's hot loop: which nodes moved more than t on some axis from what the
;; subscriber reconstructed. Four nodes (twelve floats, three 128-bit lanes) per step; the compare
;; masks of the three vectors make a 12-bit word in which node k of the group owns bits 3k..3k+2.
;; Every node index of the group is stored and the count advances only for the moved ones, so the
;; loop has no data-dependent branch (a mid-settling delta moves a random tenth of the nodes, which
;; a branch per node or per group mispredicts).
;;
;; Semantics, shared bit for bit with the JavaScript fallback (moved-scan.ts): the difference is a
;; float32 subtraction, compared against t as a float32; a NaN compares false and is never moved.
;;
;; Memory is the caller's to lay out: pos and sent hold 3n float32 each, out n u32.
(module
  (memory (export "memory") 1)
  (func (export "scan")
    (param $pos i32) (param $sent i32) (param $n i32) (param $t f32) (param $out i32)
    (result i32)
    (local $i i32) (local $m i32) (local $full i32) (local $bits i32) (local $tv v128) (local $o i32)
    (local.set $tv (f32x4.splat (local.get $t)))
    (local.set $full (i32.and (local.get $n) (i32.const -4)))
    (block $groups_done
      (loop $group
        (br_if $groups_done (i32.ge_u (local.get $i) (local.get $full)))
        (local.set $bits
          (i32.or
            (i32x4.bitmask
              (f32x4.gt
                (f32x4.abs (f32x4.sub (v128.load align=4 (local.get $pos)) (v128.load align=4 (local.get $sent))))
                (local.get $tv)))
            (i32.or
              (i32.shl
                (i32x4.bitmask
                  (f32x4.gt
                    (f32x4.abs (f32x4.sub (v128.load offset=16 align=4 (local.get $pos)) (v128.load offset=16 align=4 (local.get $sent))))
                    (local.get $tv)))
                (i32.const 4))
              (i32.shl
                (i32x4.bitmask
                  (f32x4.gt
                    (f32x4.abs (f32x4.sub (v128.load offset=32 align=4 (local.get $pos)) (v128.load offset=32 align=4 (local.get $sent))))
                    (local.get $tv)))
                (i32.const 8)))))
        ;; node i + k: store its index at out[m], keep it when any of its three bits is set
        (local.set $o (i32.add (local.get $out) (i32.shl (local.get $m) (i32.const 2))))
        (i32.store (local.get $o) (local.get $i))
        (local.set $m (i32.add (local.get $m) (i32.ne (i32.and (local.get $bits) (i32.const 0x007)) (i32.const 0))))
        (local.set $o (i32.add (local.get $out) (i32.shl (local.get $m) (i32.const 2))))
        (i32.store (local.get $o) (i32.add (local.get $i) (i32.const 1)))
        (local.set $m (i32.add (local.get $m) (i32.ne (i32.and (local.get $bits) (i32.const 0x038)) (i32.const 0))))
        (local.set $o (i32.add (local.get $out) (i32.shl (local.get $m) (i32.const 2))))
        (i32.store (local.get $o) (i32.add (local.get $i) (i32.const 2)))
        (local.set $m (i32.add (local.get $m) (i32.ne (i32.and (local.get $bits) (i32.const 0x1c0)) (i32.const 0))))
        (local.set $o (i32.add (local.get $out) (i32.shl (local.get $m) (i32.const 2))))
        (i32.store (local.get $o) (i32.add (local.get $i) (i32.const 3)))
        (local.set $m (i32.add (local.get $m) (i32.ne (i32.and (local.get $bits) (i32.const 0xe00)) (i32.const 0))))
        (local.set $i (i32.add (local.get $i) (i32.const 4)))
        (local.set $pos (i32.add (local.get $pos) (i32.const 48)))
        (local.set $sent (i32.add (local.get $sent) (i32.const 48)))
        (br $group)))
    ;; the last n mod 4 nodes, one at a time
    (block $tail_done
      (loop $tail
        (br_if $tail_done (i32.ge_u (local.get $i) (local.get $n)))
        (if
          (i32.or
            (f32.gt (f32.abs (f32.sub (f32.load (local.get $pos)) (f32.load (local.get $sent)))) (local.get $t))
            (i32.or
              (f32.gt (f32.abs (f32.sub (f32.load offset=4 (local.get $pos)) (f32.load offset=4 (local.get $sent)))) (local.get $t))
              (f32.gt (f32.abs (f32.sub (f32.load offset=8 (local.get $pos)) (f32.load offset=8 (local.get $sent)))) (local.get $t))))
          (then
            (i32.store (i32.add (local.get $out) (i32.shl (local.get $m) (i32.const 2))) (local.get $i))
            (local.set $m (i32.add (local.get $m) (i32.const 1)))))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (local.set $pos (i32.add (local.get $pos) (i32.const 12)))
        (local.set $sent (i32.add (local.get $sent) (i32.const 12)))
        (br $tail)))
    (local.get $m)))
