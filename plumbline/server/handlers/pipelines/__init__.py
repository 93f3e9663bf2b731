"""REST endpoints of pipelines (one handler per endpoint; the logic is plumbline.pipelines.service).

=======  ==========================================================  ===============================
method   path (under /plumbline/)                                    what
=======  ==========================================================  ===============================
POST     promote/preview                                             compile a range, write nothing
GET      schedules/preview?cron=&timezone=&count=                    validate a schedule, next fires
GET      pipelines                                                   every pipeline
POST     pipelines                                                   create (promote)
GET      pipelines/<name>                                            one pipeline, its recent runs
DELETE   pipelines/<name>                                            delete (runs and lineage stay)
POST     pipelines/<name>/runs                                       run now (parameter overrides)
PUT      pipelines/<name>/paused                                     pause / resume
POST     pipelines/<name>/backfill                                   runs for past fire slots
PUT      pipelines/<name>/schedule                                   edit the schedule
GET      pipelines/<name>/diff                                       out of date? which tasks differ
POST     pipelines/<name>/diff                                       the same, for the notebook as edited
POST     pipelines/<name>/update                                     update from the notebook
GET      pipelines/<name>/runs/<run>/tasks/<task>/log?offset=        a task run's log
POST     trigger-requests/<id>                                       start or dismiss a monitor's request
=======  ==========================================================  ===============================
"""
