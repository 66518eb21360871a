# The runtime's sources, for the library (src/CMakeLists.txt) and the SimGrid build
# (bench/sim/CMakeLists.txt): one list, so both build the same protocol. The platform file is
# the only one that differs.
set(AMORSIZE_RUNTIME_SOURCES
  ${CMAKE_CURRENT_LIST_DIR}/clock.cpp
  ${CMAKE_CURRENT_LIST_DIR}/wire.cpp
  ${CMAKE_CURRENT_LIST_DIR}/mpi.cpp
  ${CMAKE_CURRENT_LIST_DIR}/discovery.cpp
  ${CMAKE_CURRENT_LIST_DIR}/binding.cpp
  ${CMAKE_CURRENT_LIST_DIR}/ending.cpp
  ${CMAKE_CURRENT_LIST_DIR}/chunk_runner.cpp
  ${CMAKE_CURRENT_LIST_DIR}/local_pool.cpp
  ${CMAKE_CURRENT_LIST_DIR}/worker.cpp
  ${CMAKE_CURRENT_LIST_DIR}/leader.cpp
  ${CMAKE_CURRENT_LIST_DIR}/reorder.cpp
  ${CMAKE_CURRENT_LIST_DIR}/handback.cpp
  ${CMAKE_CURRENT_LIST_DIR}/pressure.cpp
  ${CMAKE_CURRENT_LIST_DIR}/speed.cpp
  ${CMAKE_CURRENT_LIST_DIR}/dispatcher.cpp
  ${CMAKE_CURRENT_LIST_DIR}/sampler.cpp
  ${CMAKE_CURRENT_LIST_DIR}/coordinator.cpp
  ${CMAKE_CURRENT_LIST_DIR}/coordinator_messages.cpp
  ${CMAKE_CURRENT_LIST_DIR}/engine.cpp
  ${CMAKE_CURRENT_LIST_DIR}/context.cpp
  ${CMAKE_CURRENT_LIST_DIR}/loop_plan.cpp
  ${CMAKE_CURRENT_LIST_DIR}/loop.cpp)
# The platform: the library takes the real MPI's, bench/sim SimGrid's.
set(AMORSIZE_RUNTIME_PLATFORM_MPI ${CMAKE_CURRENT_LIST_DIR}/platform_mpi.cpp)
set(AMORSIZE_RUNTIME_PLATFORM_SIMGRID ${CMAKE_CURRENT_LIST_DIR}/platform_smpi.cpp)
