// Subject naming: the topic-name strategy, one value subject per topic.
export const valueSubject = (topic: string): string => `${topic}-value`;
