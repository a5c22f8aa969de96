"""Real ToolBench / StableToolBench data: query and tool files, response sources, judging.

Layer: below the sandbox (the API server can serve these queries) and above the world.
Importing this package is cheap; nothing here touches the network except
:mod:`~steptool_env.stabletoolbench.fetch`, and only when asked to.
"""
