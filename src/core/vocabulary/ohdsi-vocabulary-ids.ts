/**
 * vocabulary_id values of the OMOP standardized vocabularies as distributed by OHDSI Athena (v5), for the compiler's
 * UNKNOWN_VOCABULARY warning: a lookup naming none of them is most likely misspelt (ICD9 for ICD9CM). Not exhaustive
 * and not authoritative — local vocabularies are legitimate, hence a warning; the run itself checks the ids against
 * the CONCEPT table it loaded.
 */
export const OHDSI_VOCABULARY_IDS: readonly string[] = [
  "ABMS", "AMT", "APC", "ATC", "BDPM", "CDM", "CDT", "CGI", "CIEL", "CMS Place of Service", "CO-CONNECT", "Cohort",
  "Concept Class", "Condition Status", "Condition Type", "Cost", "Cost Type", "CPT4", "CTD", "Currency", "CVX",
  "Death Type", "Device Type", "DPD", "DRG", "Drug Type", "EDI", "Episode", "Episode Type", "Ethnicity", "GCN_SEQNO",
  "Gender", "GGR", "HCPCS", "HemOnc", "HES Specialty", "ICD03", "ICD10", "ICD10CM", "ICD10CN", "ICD10GM", "ICD10PCS",
  "ICD9CM", "ICD9Proc", "ICD9ProcCN", "ICDO3", "JAX", "JMDC", "KCD7", "KDC", "KNHIS", "LOINC", "Korean Revenue Code",
  "Language", "Medicare Specialty", "MeSH", "Meas Type", "MedDRA", "Multum", "NAACCR", "NCCD", "NCIt", "NDC", "NDFRT",
  "NFC", "NHS Ethnic Category", "NUCC", "Nebraska Lexicon", "None", "Note Type", "OMOP Extension", "OMOP Genomic",
  "OMOP Invest Drug", "OPCS4", "OPS", "OSM", "Obs Period Type", "Observation Type", "Plan", "Plan Stop Reason",
  "PPI", "Procedure Type", "Provider", "Race", "Relationship", "Revenue Code", "RxNorm", "RxNorm Extension", "SMQ",
  "SNOMED", "SNOMED Veterinary", "SPL", "Specimen Type", "Sponsor", "Supplier", "Type Concept", "UB04 Point of Origin",
  "UB04 Pri Typ of Adm", "UB04 Pt dis status", "UB04 Typ bill", "UCUM", "UK Biobank", "US Census", "VA Class",
  "VANDF", "Visit", "Visit Type", "Vocabulary", "dm+d", "Domain", "Metadata", "Episode Type", "Condition Status",
];
