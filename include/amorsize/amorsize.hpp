#pragma once
/// \file amorsize.hpp
/// Everything amorsize offers, in one include.
#include "amorsize/error.hpp"
#include "amorsize/plan.hpp"
#include "amorsize/profile.hpp"
#include "amorsize/schedule.hpp"
#include "amorsize/topology.hpp"
#include "amorsize/workload.hpp"
