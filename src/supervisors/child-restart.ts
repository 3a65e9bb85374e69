// OTP's restart types, on each child:
//  - permanent: always restarted, even after it stops itself normally
//  - transient: restarted only after a failure; a normal stop is final
//  - temporary: never restarted; a failure stops it
export type ChildRestart = 'permanent' | 'transient' | 'temporary';
