! examples/c/time_steps.c in Fortran: a time-stepping code that hands its loop over cells to
! amorsize every step (`use amorsize`). The cells are uneven, with a bump of heavy cells that
! drifts from step to step; every rank computes. Prints the same line as the C example, and
! the same checksum for the same input.
!
!   mpifort -I<dir of amorsize.mod> time_steps.f90 $(pkg-config --libs amorsize-fortran)
!   mpirun -np 3 ./time_steps [STEPS] [CELLS]
program time_steps
  use, intrinsic :: iso_c_binding, only: c_int64_t
  use, intrinsic :: iso_fortran_env, only: int64, error_unit
  use mpi_f08
  use amorsize
  implicit none
  type(amorsize_context) :: ctx
  type(amorsize_loop) :: loop
  type(amorsize_loop_stats) :: stats
  integer :: steps, step, rank, from_history
  integer(c_int64_t) :: cells, lo, hi, i
  integer(int64) :: checksum, total, items, all_items
  real(8) :: efficiency
  logical :: more
  character(len=32) :: arg

  call MPI_Init()
  call MPI_Comm_rank(MPI_COMM_WORLD, rank)
  steps = 50
  cells = 20000
  if (command_argument_count() >= 1) then
    call get_command_argument(1, arg)
    read (arg, *) steps
  end if
  if (command_argument_count() >= 2) then
    call get_command_argument(2, arg)
    read (arg, *) cells
  end if

  if (amorsize_context_create(MPI_COMM_WORLD, ctx) /= amorsize_ok) call fail()
  checksum = 0
  items = 0
  from_history = 0
  efficiency = 0
  do step = 0, steps - 1
    if (amorsize_loop_begin(ctx, 0_c_int64_t, cells, "cells", loop) /= amorsize_ok) call fail()
    do
      if (amorsize_loop_next(loop, lo, hi, more) /= amorsize_ok) call fail()
      if (.not. more) exit
      do i = lo, hi - 1
        checksum = ieor(checksum, update(i, step))
      end do
    end do
    if (amorsize_loop_end(loop, stats) /= amorsize_ok) call fail()
    items = items + stats%items
    from_history = from_history + stats%from_history
    efficiency = stats%efficiency
  end do
  call MPI_Reduce(checksum, total, 1, MPI_INTEGER8, MPI_BXOR, 0, MPI_COMM_WORLD)
  call MPI_Reduce(items, all_items, 1, MPI_INTEGER8, MPI_SUM, 0, MPI_COMM_WORLD)
  if (rank == 0) then
    write (*, '(a,i0,a,i0,a,a,a,i0,a,i0,a,f4.2)') 'time_steps: ', steps, ' steps of ', cells, &
      ' cells: checksum ', trim(unsigned(total)), ', ', all_items, ' items, ', from_history, &
      ' steps planned from the one before; last step efficiency ', efficiency
  end if
  if (amorsize_context_destroy(ctx) /= amorsize_ok) call fail()
  call MPI_Finalize()

contains

  ! The work of cell i at step s, as in the C example, bit for bit.
  integer(int64) function update(cell, s) result(x)
    integer(c_int64_t), intent(in) :: cell
    integer, intent(in) :: s
    real(8) :: center, d
    integer :: rounds, r
    center = cells * (0.2d0 + 0.6d0 * s / dble(max(steps - 1, 1)))
    d = (cell - center) / (0.05d0 * cells)
    rounds = 200 + int(1800 * exp(-d * d))
    x = cell * 2654435761_int64 + s + 1
    do r = 1, rounds
      x = ieor(x, ishft(x, 13))
      x = ieor(x, ishft(x, -7))
      x = ieor(x, ishft(x, 17))
    end do
  end function

  ! A 64-bit pattern as the unsigned number C prints.
  function unsigned(v) result(text)
    integer(int64), intent(in) :: v
    character(len=24) :: text
    integer(int64) :: high, low
    integer :: digits(20), n, k
    ! v = high * 10 + low, with high = (v >>> 1) / 5: the unsigned value's digits.
    high = ishft(v, -1) / 5
    low = v - high * 10
    n = 0
    do while (high > 0)
      n = n + 1
      digits(n) = int(mod(high, 10_int64))
      high = high / 10
    end do
    text = ''
    do k = n, 1, -1
      text = trim(text)//achar(48 + digits(k))
    end do
    text = trim(text)//achar(48 + int(low))
  end function

  subroutine fail()
    write (error_unit, '(a)') 'time_steps: '//amorsize_last_error()
    call MPI_Abort(MPI_COMM_WORLD, 1)
  end subroutine

end program time_steps
