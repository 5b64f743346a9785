"""How a plan runs on doit: the stage table, the plan, the actions, the runner, dispatch, builds, smoke, results."""
