! The Fortran interface of amorsize (`use amorsize`), over its C API (amorsize.h): a context
! made once, and a loop per time step whose ranges every rank computes. Communicators may be
! `mpi` integers or `mpi_f08` type(MPI_Comm). Every function returns a status
! (amorsize_ok, ...); amorsize_last_error() says what went wrong.
module amorsize
  use, intrinsic :: iso_c_binding
  use mpi_f08, only: MPI_Comm
  implicit none
  private

  integer, parameter, public :: amorsize_ok = 0, amorsize_invalid_argument = 1, &
                                amorsize_mpi_error = 2, amorsize_error = 3

  type, public :: amorsize_context
    type(c_ptr) :: handle = c_null_ptr
  end type

  type, public :: amorsize_loop
    type(c_ptr) :: handle = c_null_ptr
  end type

  ! What one call of a loop did (amorsize_loop_stats in amorsize.h).
  type, bind(C), public :: amorsize_loop_stats
    integer(c_int64_t) :: items = 0          ! this rank's
    integer(c_int64_t) :: ranges = 0         ! ranges next gave this rank
    real(c_double) :: seconds = 0            ! this rank, begin to end
    real(c_double) :: wait_seconds = 0       ! this rank, waiting for ranges
    integer(c_int) :: from_history = 0       ! 1: planned from the previous call of its name
    real(c_double) :: busy_seconds = 0       ! rank 0: time in ranges, all ranks
    real(c_double) :: max_wait_seconds = 0   ! rank 0: the most any rank waited
    real(c_double) :: makespan_seconds = 0   ! rank 0: begin to the last range done
    real(c_double) :: efficiency = 0         ! rank 0: (busy / ranks) / makespan
  end type

  public :: amorsize_context_create, amorsize_context_destroy, amorsize_loop_begin, &
            amorsize_loop_next, amorsize_loop_end, amorsize_last_error

  ! A context from an `mpi` integer communicator or an `mpi_f08` type(MPI_Comm).
  interface amorsize_context_create
    module procedure context_create_integer, context_create_f08
  end interface

  interface
    integer(c_int) function c_context_create_f(comm, out) bind(C, name="amorsize_context_create_f")
      import :: c_int, c_ptr
      integer(c_int), value :: comm
      type(c_ptr) :: out
    end function
    integer(c_int) function c_context_destroy(ctx) bind(C, name="amorsize_context_destroy")
      import :: c_int, c_ptr
      type(c_ptr), value :: ctx
    end function
    integer(c_int) function c_loop_begin(ctx, first, last, name, out) &
        bind(C, name="amorsize_loop_begin")
      import :: c_int, c_ptr, c_int64_t, c_char
      type(c_ptr), value :: ctx
      integer(c_int64_t), value :: first, last
      character(kind=c_char) :: name(*)
      type(c_ptr) :: out
    end function
    integer(c_int) function c_loop_next(loop, lo, hi, more) bind(C, name="amorsize_loop_next")
      import :: c_int, c_ptr, c_int64_t
      type(c_ptr), value :: loop
      integer(c_int64_t) :: lo, hi
      integer(c_int) :: more
    end function
    integer(c_int) function c_loop_end(loop, stats) bind(C, name="amorsize_loop_end")
      import :: c_int, c_ptr, amorsize_loop_stats
      type(c_ptr), value :: loop
      type(amorsize_loop_stats) :: stats
    end function
    type(c_ptr) function c_last_error() bind(C, name="amorsize_last_error")
      import :: c_ptr
    end function
    integer(c_size_t) function c_strlen(text) bind(C, name="strlen")
      import :: c_size_t, c_ptr
      type(c_ptr), value :: text
    end function
  end interface

contains

  integer function context_create_integer(comm, ctx) result(status)
    integer, intent(in) :: comm
    type(amorsize_context), intent(out) :: ctx
    status = int(c_context_create_f(int(comm, c_int), ctx%handle))
  end function

  integer function context_create_f08(comm, ctx) result(status)
    type(MPI_Comm), intent(in) :: comm
    type(amorsize_context), intent(out) :: ctx
    status = int(c_context_create_f(int(comm%MPI_VAL, c_int), ctx%handle))
  end function

  ! Before MPI_Finalize.
  integer function amorsize_context_destroy(ctx) result(status)
    type(amorsize_context), intent(inout) :: ctx
    status = int(c_context_destroy(ctx%handle))
    if (status == amorsize_ok) ctx%handle = c_null_ptr
  end function

  ! One call of the loop over [first, last) named `name` (calls of one name learn from each
  ! other). Collective.
  integer function amorsize_loop_begin(ctx, first, last, name, loop) result(status)
    type(amorsize_context), intent(in) :: ctx
    integer(c_int64_t), intent(in) :: first, last
    character(len=*), intent(in) :: name
    type(amorsize_loop), intent(out) :: loop
    status = int(c_loop_begin(ctx%handle, first, last, trim(name)//c_null_char, loop%handle))
  end function

  ! This rank's next range [lo, hi): more is .true., or .false. when it has none left.
  integer function amorsize_loop_next(loop, lo, hi, more) result(status)
    type(amorsize_loop), intent(in) :: loop
    integer(c_int64_t), intent(out) :: lo, hi
    logical, intent(out) :: more
    integer(c_int) :: m
    m = 0
    status = int(c_loop_next(loop%handle, lo, hi, m))
    more = m /= 0
  end function

  ! After next gave .false.: the statistics; the loop is freed. Collective.
  integer function amorsize_loop_end(loop, stats) result(status)
    type(amorsize_loop), intent(inout) :: loop
    type(amorsize_loop_stats), intent(out) :: stats
    status = int(c_loop_end(loop%handle, stats))
    if (status == amorsize_ok) loop%handle = c_null_ptr
  end function

  ! The message of the last call on this thread that failed.
  function amorsize_last_error() result(message)
    character(len=:), allocatable :: message
    type(c_ptr) :: text
    character(kind=c_char), pointer :: chars(:)
    integer :: i, n
    text = c_last_error()
    n = int(c_strlen(text))
    call c_f_pointer(text, chars, [n])
    allocate (character(len=n) :: message)
    do i = 1, n
      message(i:i) = chars(i)
    end do
  end function

end module amorsize
