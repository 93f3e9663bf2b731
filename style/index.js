import './base.css';
import './lineage.css';
import './pipelines.css';
import './drift.css';
import './monitor.css';
