/**
 * Subject names for our schemas. The topic carries two record types (RunCompleted, TestRetired),
 * so the subject must name the record: TopicRecordNameStrategy (`<topic>-<record>`, the default)
 * or RecordNameStrategy (`<record>`); never TopicNameStrategy, which allows one record per topic.
 */
import type { SubjectStrategy } from "../config/registry.ts";

export function subjectFor(strategy: SubjectStrategy, topic: string, recordFullName: string): string {
  return strategy === "record" ? recordFullName : `${topic}-${recordFullName}`;
}
